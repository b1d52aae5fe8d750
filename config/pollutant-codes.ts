/**
 * HJ 212-2017 附录B pollutant codes (表B.1 废气, 表B.2 废水; codes from HJ 524-2009 air / HJ 525-2009
 * water), with the HJ/T 212-2005 "原编码" column, default units and data types (hj212.md §6).
 *
 * Transcribed from hj212.md §6 and cross-checked against the machine-readable copy of the same tables
 * in `srdgame/lua-HJ212:hj212.csv`, which also supplies the rows hj212.md abbreviates. Units are written
 * the way the site registry writes them (mg/m3, ug/L, ℃, 无量纲 …). Where 附录B prints 纳克/立方米
 * (ng/m3) the unit is kept as printed and a note says so: for NH3, CH4 and particulate matter it is
 * probably a misprint (the 排放量 column is 克, which pairs with μg/m³ as mg/m³ pairs with kg; inference),
 * so a site's real unit belongs in the site registry, not here.
 *
 * 工况 codes (e…, g…), info codes (i…) and noise codes (L…) are not pollutants and are not listed;
 * the HJ 212 intake keeps any code it does not know.
 */

export type PollutantMedium = 'gas' | 'water' | 'ambient';

export interface PollutantInfo {
  code: string;
  nameZh: string;
  nameEn: string;
  /** Default concentration unit of Rtd/Min/Avg/Max. */
  unit: string;
  /** Unit of -Cou (排放量), where the table gives one. */
  couUnit?: string;
  /** HJ/T 212-2005 code (原编码), where the table gives one. */
  code2005?: string;
  medium: PollutantMedium;
  /** 附录B 数据类型, e.g. N5.2 = up to 5 integer digits and 2 decimals. */
  dataType?: string;
  note?: string;
}

type Row = readonly [
  code: string,
  nameZh: string,
  nameEn: string,
  unit: string,
  couUnit: string | null,
  code2005: string | null,
  dataType: string | null,
  note?: string,
];

const AS_PRINTED_NG =
  '附录B prints 纳克/立方米 (ng/m3); probably μg/m3 (inference: the 排放量 unit 克 pairs with μg/m3)';
const NOT_IN_APPENDIX_B = 'not in HJ 212-2017 附录B; seen in real traffic (hj212.md §6)';

/** 表B.2 废水 (ST=32), plus two extensions seen in real traffic. */
const WATER_ROWS: readonly Row[] = [
  ['w00000', '污水', 'wastewater flow', 'L/s', 'm3', 'B01', 'N5.2'],
  ['w00001', '累计流量', 'cumulative wastewater flow', 'm3', null, null, null, NOT_IN_APPENDIX_B],
  ['w01001', 'pH值', 'pH', '无量纲', null, '001', 'N2.2'],
  ['w01002', '色度', 'colour', '度', null, '002', 'N3.2'],
  ['w01003', '浊度', 'turbidity', 'NTU', null, null, null, NOT_IN_APPENDIX_B],
  ['w01006', '溶解性总固体', 'total dissolved solids', 'mg/L', 'kg', null, 'N4'],
  ['w01009', '溶解氧', 'dissolved oxygen', 'mg/L', null, null, 'N3.1'],
  ['w01010', '水温', 'water temperature', '℃', null, null, 'N3.1'],
  ['w01012', '悬浮物', 'suspended solids', 'mg/L', 'kg', '003', 'N4'],
  ['w01014', '电导率', 'conductivity', 'uS/cm', null, null, 'N3.1'],
  ['w01017', '五日生化需氧量', 'BOD5', 'mg/L', 'kg', '010', 'N5.1'],
  ['w01018', '化学需氧量', 'COD', 'mg/L', 'kg', '011', 'N5.1'],
  ['w01019', '高锰酸盐指数', 'permanganate index', 'mg/L', 'kg', null, 'N3.1'],
  ['w01020', '总有机碳', 'total organic carbon', 'mg/L', 'kg', '015', 'N3.1'],
  ['w02003', '粪大肠菌群', 'faecal coliforms', '个/L', null, '550', 'N9'],
  ['w02006', '细菌总数', 'total bacteria', '个/L', null, null, 'N9'],
  ['w03001', '总α放射性', 'gross alpha activity', 'Bq/L', null, '570', 'N3.1'],
  ['w03002', '总β放射性', 'gross beta activity', 'Bq/L', null, '571', 'N3.1'],
  ['w19001', '表面活性剂', 'surfactants', 'mg/L', 'kg', null, 'N3.2'],
  ['w19002', '阴离子表面活性剂', 'anionic surfactants', 'mg/L', 'kg', '520', 'N3.2'],
  ['w20012', '钡', 'barium', 'mg/L', 'kg', '039', 'N3.3'],
  ['w20023', '硼', 'boron', 'mg/L', 'kg', '037', 'N3.3'],
  ['w20038', '钴', 'cobalt', 'mg/L', 'kg', '040', 'N3.4'],
  ['w20061', '钼', 'molybdenum', 'mg/L', 'kg', '038', 'N3.4'],
  ['w20089', '铊', 'thallium', 'ng/L', 'mg', '041', 'N4'],
  ['w20092', '锡', 'tin', 'mg/L', 'kg', '036', 'N3.1'],
  ['w20111', '总汞', 'total mercury', 'ug/L', 'g', '020', 'N3.2'],
  ['w20113', '烷基汞', 'alkyl mercury', 'ng/L', 'mg', '021', 'N4'],
  ['w20115', '总镉', 'total cadmium', 'ug/L', 'g', '022', 'N3.1'],
  ['w20116', '总铬', 'total chromium', 'mg/L', 'kg', '023', 'N3.3'],
  ['w20117', '六价铬', 'hexavalent chromium', 'ug/L', 'g', '024', 'N2.3'],
  ['w20119', '总砷', 'total arsenic', 'ug/L', 'g', '026', 'N2.3'],
  ['w20120', '总铅', 'total lead', 'ug/L', 'g', '027', 'N4'],
  ['w20121', '总镍', 'total nickel', 'mg/L', 'kg', '028', 'N3.2'],
  ['w20122', '总铜', 'total copper', 'mg/L', 'kg', '029', 'N3.2'],
  ['w20123', '总锌', 'total zinc', 'mg/L', 'kg', '030', 'N3.3'],
  ['w20124', '总锰', 'total manganese', 'mg/L', 'kg', '031', 'N3.3'],
  ['w20125', '总铁', 'total iron', 'mg/L', 'kg', '032', 'N3.3'],
  ['w20126', '总银', 'total silver', 'mg/L', 'kg', '033', 'N3.3'],
  ['w20127', '总铍', 'total beryllium', 'ug/L', 'g', '034', 'N3.3'],
  ['w20128', '总硒', 'total selenium', 'ug/L', 'g', '035', 'N4.2'],
  ['w20138', '铜', 'copper', 'mg/L', 'kg', null, 'N3.3'],
  ['w20139', '锌', 'zinc', 'mg/L', 'kg', null, 'N3.3'],
  ['w20140', '硒', 'selenium', 'mg/L', 'kg', null, 'N3.3'],
  ['w20141', '砷', 'arsenic', 'mg/L', 'kg', null, 'N3.3'],
  ['w20142', '汞', 'mercury', 'ug/L', 'g', null, 'N3.3'],
  ['w20143', '镉', 'cadmium', 'ug/L', 'g', null, 'N3.3'],
  ['w20144', '铅', 'lead', 'mg/L', 'kg', null, 'N3.3'],
  ['w21001', '总氮', 'total nitrogen', 'mg/L', 'kg', '065', 'N4.2'],
  ['w21003', '氨氮', 'ammonia nitrogen', 'mg/L', 'kg', '060', 'N4.2'],
  ['w21004', '凯氏氮', 'Kjeldahl nitrogen', 'mg/L', 'kg', '062', 'N3.1'],
  ['w21006', '亚硝酸盐', 'nitrite', 'mg/L', 'kg', '063', 'N2.3'],
  ['w21007', '硝酸盐', 'nitrate', 'mg/L', 'kg', '064', 'N2.3'],
  ['w21011', '总磷', 'total phosphorus', 'mg/L', 'kg', '101', 'N3.2'],
  ['w21016', '氰化物', 'cyanide', 'mg/L', 'kg', '070', 'N3.3'],
  ['w21017', '氟化物', 'fluoride', 'mg/L', 'kg', '072', 'N4.2'],
  ['w21019', '硫化物', 'sulfide', 'mg/L', 'kg', '071', 'N3.3'],
  ['w21022', '氯化物', 'chloride', 'mg/L', 'kg', '090', 'N3.1'],
  ['w21038', '硫酸盐', 'sulfate', 'mg/L', 'kg', null, 'N6'],
  ['w22001', '石油类', 'petroleum oils', 'mg/L', 'kg', '080', 'N3.2'],
  ['w23002', '挥发酚', 'volatile phenols', 'mg/L', 'kg', '110', 'N3.4'],
  ['w25043', '苯并[α]芘', 'benzo[a]pyrene', 'ug/L', 'g', '540', 'N3.1'],
  ['w33001', '六六六', 'hexachlorocyclohexane (BHC)', 'ng/L', 'mg', '350', 'N4'],
  ['w33007', '滴滴涕', 'DDT', 'ng/L', 'mg', '351', 'N4'],
  ['w99001', '有机氮', 'organic nitrogen', 'mg/L', 'kg', '061', 'N3.1'],
];

/** 表B.1 废气 (ST=31). Organic compounds without a 2005 code share N7.3, mg/m3, kg. */
const GAS_ROWS: readonly Row[] = [
  ['a00000', '废气', 'flue-gas flow', 'm3/s', 'm3', 'B02', 'N6.1'],
  ['a01010', '林格曼黑度', 'Ringelmann blackness', '无量纲', null, '37', 'N1'],
  ['a01011', '烟气流速', 'flue-gas velocity', 'm/s', null, 'S02', 'N5.2'],
  ['a01012', '烟气温度', 'flue-gas temperature', '℃', null, 'S03', 'N3.1'],
  ['a01013', '烟气压力', 'flue-gas pressure', 'kPa', null, 'S08', 'N5.3'],
  ['a01014', '烟气湿度', 'flue-gas humidity', '%', null, 'S05', 'N3.1'],
  ['a01015', '制冷温度', 'cooler temperature', '℃', null, 'S06', 'N3.1'],
  ['a01016', '烟道截面积', 'stack cross-section area', 'm2', null, 'S07', 'N4.2'],
  ['a01017', '烟气动压', 'flue-gas dynamic pressure', 'kPa', null, 'S04', 'N5.3'],
  [
    'a01901',
    '垃圾焚烧炉膛内焚烧平均温度',
    'MSW incinerator furnace mean temperature',
    '℃',
    null,
    null,
    'N4.1',
  ],
  ['a01902', '垃圾焚烧炉膛内DCS温度', 'MSW incinerator furnace DCS temperature', '℃', null, null, 'N4.1'],
  ['a05001', '二氧化碳', 'carbon dioxide', 'mg/m3', 'kg', '30', 'N3.3'],
  ['a05002', '甲烷', 'methane', 'ng/m3', 'g', null, 'N4.1', AS_PRINTED_NG],
  ['a05008', '三氯一氟甲烷', 'trichlorofluoromethane', 'mg/m3', 'kg', null, 'N7.3'],
  ['a05009', '二氯二氟甲烷', 'dichlorodifluoromethane', 'mg/m3', 'kg', null, 'N7.3'],
  ['a05013', '三氯三氟乙烷', 'trichlorotrifluoroethane', 'mg/m3', 'kg', null, 'N7.3'],
  ['a19001', '氧气含量', 'oxygen content', '%', null, 'S01', 'N3.1'],
  ['a20007', '砷', 'arsenic', 'ng/m3', 'g', null, 'N1.6'],
  ['a20016', '铍及其化合物', 'beryllium and its compounds', 'mg/m3', 'kg', '36', 'N4.4'],
  ['a20025', '镉及其化合物', 'cadmium and its compounds', 'mg/m3', 'kg', '33', 'N3.4'],
  ['a20026', '镉', 'cadmium', 'ng/m3', 'g', null, 'N3.3'],
  ['a20043', '铅及其化合物', 'lead and its compounds', 'mg/m3', 'kg', '32', 'N2.4'],
  ['a20044', '铅', 'lead', 'ng/m3', 'g', null, 'N3.3'],
  ['a20057', '汞及其化合物', 'mercury and its compounds', 'mg/m3', 'kg', '31', 'N4.4'],
  ['a20058', '汞', 'mercury', 'ng/m3', 'g', null, 'N3.2'],
  ['a20063', '镍及其化合物', 'nickel and its compounds', 'mg/m3', 'kg', '35', 'N3.3'],
  ['a20091', '锡及其化合物', 'tin and its compounds', 'mg/m3', 'kg', '34', 'N4.3'],
  ['a21001', '氨', 'ammonia', 'ng/m3', 'g', '10', 'N4.3', AS_PRINTED_NG],
  ['a21002', '氮氧化物', 'nitrogen oxides', 'mg/m3', 'kg', '03', 'N5.1'],
  ['a21003', '一氧化氮', 'nitric oxide', 'mg/m3', 'kg', null, 'N4.1'],
  ['a21004', '二氧化氮', 'nitrogen dioxide', 'mg/m3', 'kg', null, 'N4.1'],
  ['a21005', '一氧化碳', 'carbon monoxide', 'mg/m3', 'kg', '04', 'N3.3'],
  ['a21017', '氰化物', 'cyanide', 'mg/m3', 'kg', '07', 'N3.3'],
  ['a21018', '氟化物', 'fluoride', 'mg/m3', 'kg', '06', 'N2.3'],
  ['a21022', '氯气', 'chlorine', 'mg/m3', 'kg', '11', 'N4.3'],
  ['a21024', '氯化氢', 'hydrogen chloride', 'mg/m3', 'kg', '08', 'N4.3'],
  ['a21026', '二氧化硫', 'sulfur dioxide', 'mg/m3', 'kg', '02', 'N5.2'],
  ['a21028', '硫化氢', 'hydrogen sulfide', 'mg/m3', 'kg', '05', 'N3.2'],
  ['a23001', '酚类', 'phenols', 'mg/m3', 'kg', '27', 'N3.3'],
  ['a24003', '二氯甲烷', 'dichloromethane', 'mg/m3', 'kg', null, 'N7.3'],
  ['a24004', '三氯甲烷', 'trichloromethane', 'mg/m3', 'kg', null, 'N7.3'],
  ['a24005', '四氯甲烷', 'tetrachloromethane', 'mg/m3', 'kg', null, 'N7.3'],
  ['a24006', '二溴一氯甲烷', 'dibromochloromethane', 'mg/m3', 'kg', null, 'N7.3'],
  ['a24007', '一溴二氯甲烷', 'bromodichloromethane', 'mg/m3', 'kg', null, 'N7.3'],
  ['a24008', '溴甲烷', 'bromomethane', 'mg/m3', 'kg', null, 'N7.3'],
  ['a24009', '三溴甲烷', 'tribromomethane', 'mg/m3', 'kg', null, 'N7.3'],
  ['a24015', '氯乙烷', 'chloroethane', 'mg/m3', 'kg', null, 'N7.3'],
  ['a24016', '1,1-二氯乙烷', '1,1-dichloroethane', 'mg/m3', 'kg', null, 'N7.3'],
  ['a24017', '1,2-二氯乙烷', '1,2-dichloroethane', 'mg/m3', 'kg', null, 'N7.3'],
  ['a24018', '1,1,1-三氯乙烷', '1,1,1-trichloroethane', 'mg/m3', 'kg', null, 'N7.3'],
  ['a24019', '1,1,2-三氯乙烷', '1,1,2-trichloroethane', 'mg/m3', 'kg', null, 'N7.3'],
  ['a24020', '1,1,2,2-四氯乙烷', '1,1,2,2-tetrachloroethane', 'mg/m3', 'kg', null, 'N7.3'],
  ['a24027', '1,2-二氯丙烷', '1,2-dichloropropane', 'mg/m3', 'kg', null, 'N7.3'],
  ['a24034', '1,2-二溴乙烷', '1,2-dibromoethane', 'mg/m3', 'kg', null, 'N7.3'],
  ['a24036', '环己烷', 'cyclohexane', 'mg/m3', 'kg', null, 'N7.3'],
  ['a24042', '正己烷', 'n-hexane', 'mg/m3', 'kg', null, 'N7.3'],
  ['a24043', '正庚烷', 'n-heptane', 'mg/m3', 'kg', null, 'N7.3'],
  ['a24046', '氯乙烯', 'vinyl chloride', 'mg/m3', 'kg', '29', 'N4.3'],
  ['a24047', '1,1-二氯乙烯', '1,1-dichloroethene', 'mg/m3', 'kg', null, 'N7.3'],
  ['a24049', '三氯乙烯', 'trichloroethene', 'mg/m3', 'kg', null, 'N7.3'],
  ['a24050', '四氯乙烯', 'tetrachloroethene', 'mg/m3', 'kg', null, 'N7.3'],
  ['a24053', '丙烯', 'propene', 'mg/m3', 'kg', null, 'N7.3'],
  ['a24054', '1,3-二氯丙烯', '1,3-dichloropropene', 'mg/m3', 'kg', null, 'N7.3'],
  ['a24072', '1,4-二恶烷', '1,4-dioxane', 'mg/m3', 'kg', null, 'N7.3'],
  ['a24078', '1,3-丁二烯', '1,3-butadiene', 'mg/m3', 'kg', null, 'N7.3'],
  ['a24087', '碳氢化合物', 'hydrocarbons', 'mg/m3', 'kg', '25', 'N5.2'],
  ['a24088', '非甲烷总烃', 'non-methane hydrocarbons', 'mg/m3', 'kg', null, 'N7.3'],
  ['a24099', '氯甲烷', 'chloromethane', 'mg/m3', 'kg', null, 'N7.3'],
  ['a24110', '反式-1,2-二氯乙烯', 'trans-1,2-dichloroethene', 'mg/m3', 'kg', null, 'N7.3'],
  ['a24111', '顺式-1,2-二氯乙烯', 'cis-1,2-dichloroethene', 'mg/m3', 'kg', null, 'N7.3'],
  ['a24112', '反式-1,3-二氯丙烯', 'trans-1,3-dichloropropene', 'mg/m3', 'kg', null, 'N7.3'],
  ['a24113', '六氯-1,3-丁二烯', 'hexachloro-1,3-butadiene', 'mg/m3', 'kg', null, 'N7.3'],
  ['a25002', '苯', 'benzene', 'mg/m3', 'kg', null, 'N7.3'],
  ['a25003', '甲苯', 'toluene', 'mg/m3', 'kg', '17', 'N4.2'],
  ['a25004', '乙苯', 'ethylbenzene', 'mg/m3', 'kg', null, 'N7.3'],
  ['a25005', '二甲苯', 'xylene', 'mg/m3', 'kg', '18', 'N4.2'],
  ['a25006', '1,2-二甲基苯', 'o-xylene', 'mg/m3', 'kg', null, 'N7.3'],
  ['a25007', '1,3-二甲基苯', 'm-xylene', 'mg/m3', 'kg', null, 'N7.3'],
  ['a25008', '1,4-二甲基苯', 'p-xylene', 'mg/m3', 'kg', null, 'N7.3'],
  ['a25010', '氯苯', 'chlorobenzene', 'mg/m3', 'kg', '23', 'N4.3'],
  ['a25011', '1,2-二氯苯', '1,2-dichlorobenzene', 'mg/m3', 'kg', null, 'N7.3'],
  ['a25012', '1,3-二氯苯', '1,3-dichlorobenzene', 'mg/m3', 'kg', null, 'N7.3'],
  ['a25013', '1,4-二氯苯', '1,4-dichlorobenzene', 'mg/m3', 'kg', null, 'N7.3'],
  ['a25014', '1-乙基-4-甲基苯', '1-ethyl-4-methylbenzene', 'mg/m3', 'kg', null, 'N7.3'],
  ['a25015', '1,2,4-三氯苯', '1,2,4-trichlorobenzene', 'mg/m3', 'kg', null, 'N7.3'],
  ['a25019', '1,2,4-三甲基苯', '1,2,4-trimethylbenzene', 'mg/m3', 'kg', null, 'N7.3'],
  ['a25020', '1,2,3-三甲基苯', '1,2,3-trimethylbenzene', 'mg/m3', 'kg', null, 'N7.3'],
  ['a25021', '1,3,5-三甲基苯', '1,3,5-trimethylbenzene', 'mg/m3', 'kg', null, 'N7.3'],
  ['a25023', '硝基苯', 'nitrobenzene', 'mg/m3', 'kg', '22', 'N3.4'],
  ['a25038', '乙烯基苯', 'styrene', 'mg/m3', 'kg', null, 'N7.3'],
  ['a25044', '苯并[a]芘', 'benzo[a]pyrene', 'mg/m3', 'kg', '20', 'N4.3'],
  ['a25072', '四氢呋喃', 'tetrahydrofuran', 'mg/m3', 'kg', null, 'N7.3'],
  ['a26001', '苯胺类', 'anilines', 'mg/m3', 'kg', '21', 'N4.3'],
  ['a29017', '乙酸乙酯', 'ethyl acetate', 'mg/m3', 'kg', null, 'N7.3'],
  ['a29026', '乙酸乙烯酯', 'vinyl acetate', 'mg/m3', 'kg', null, 'N7.3'],
  ['a30001', '甲醇', 'methanol', 'mg/m3', 'kg', '28', 'N4.3'],
  ['a30008', '异丙醇', 'isopropanol', 'mg/m3', 'kg', null, 'N7.3'],
  ['a30022', '硫醇', 'mercaptans', 'mg/m3', 'kg', '13', 'N4.3'],
  ['a31001', '甲醛', 'formaldehyde', 'mg/m3', 'kg', '19', 'N3.3'],
  ['a31002', '乙醛', 'acetaldehyde', 'mg/m3', 'kg', '26', 'N3.4'],
  ['a31024', '丙酮', 'acetone', 'mg/m3', 'kg', null, 'N7.3'],
  ['a31025', '2-丁酮', '2-butanone', 'mg/m3', 'kg', null, 'N7.3'],
  ['a31030', '甲基异丁基甲酮', 'methyl isobutyl ketone', 'mg/m3', 'kg', null, 'N7.3'],
  ['a34013', '烟尘', 'particulate matter (dust)', 'mg/m3', 'kg', '01', 'N4'],
  ['a34017', '炭黑尘', 'carbon black dust', 'mg/m3', 'kg', null, 'N4'],
  ['a34038', '沥青烟', 'asphalt fume', 'mg/m3', 'kg', '09', 'N4.3'],
  ['a34039', '硫酸雾', 'sulfuric acid mist', 'mg/m3', 'kg', '14', 'N4.3'],
  ['a34040', '铬酸雾', 'chromic acid mist', 'mg/m3', 'kg', '15', 'N2.3'],
  ['a99010', '丙烯腈', 'acrylonitrile', 'mg/m3', 'kg', null, 'N7.3'],
  ['a99049', '光气', 'phosgene', 'mg/m3', 'kg', '24', 'N3.3'],
  ['a99051', '二硫化碳', 'carbon disulfide', 'mg/m3', 'kg', '12', 'N4.3'],
];

/**
 * Ambient and meteorological codes also sent by CEMS sites and air-quality stations (hj212.md §6;
 * 表B.1 lists them with the flue-gas codes). a05024 (O3) is an HJ 524 code not in 附录B.
 */
const AMBIENT_ROWS: readonly Row[] = [
  ['a01001', '温度', 'air temperature', '℃', null, null, 'N3.1'],
  ['a01002', '湿度', 'relative humidity', '%', null, null, 'N3.1'],
  ['a01006', '气压', 'atmospheric pressure', 'kPa', null, null, 'N5.3'],
  ['a01007', '风速', 'wind speed', 'm/s', null, null, 'N4.1'],
  ['a01008', '风向', 'wind direction', '°', null, null, 'N4'],
  [
    'a05024',
    '臭氧',
    'ozone',
    'ug/m3',
    null,
    null,
    null,
    'HJ 524 code, not in HJ 212-2017 附录B (hj212.md §6)',
  ],
  ['a34001', '总悬浮颗粒物', 'total suspended particulates (TSP)', 'ng/m3', 'g', null, 'N4.3', AS_PRINTED_NG],
  ['a34002', '可吸入颗粒物PM10', 'PM10', 'ng/m3', 'g', null, 'N3.3', AS_PRINTED_NG],
  ['a34004', '细颗粒物PM2.5', 'PM2.5', 'ng/m3', 'g', null, 'N3.3', AS_PRINTED_NG],
  ['a34005', '亚微米颗粒物PM1.0', 'PM1.0', 'ng/m3', 'g', null, 'N3.3', AS_PRINTED_NG],
  ['a34011', '降尘', 'dustfall', 't/(km2·month)', null, null, null],
];

function toInfo(row: Row, medium: PollutantMedium): PollutantInfo {
  const [code, nameZh, nameEn, unit, couUnit, code2005, dataType, note] = row;
  const info: PollutantInfo = { code, nameZh, nameEn, unit, medium };
  if (couUnit !== null) info.couUnit = couUnit;
  if (code2005 !== null) info.code2005 = code2005;
  if (dataType !== null) info.dataType = dataType;
  if (note !== undefined) info.note = note;
  return Object.freeze(info);
}

function buildTable(): Readonly<Record<string, PollutantInfo>> {
  const table: Record<string, PollutantInfo> = {};
  const add = (rows: readonly Row[], medium: PollutantMedium) => {
    for (const row of rows) table[row[0]] = toInfo(row, medium);
  };
  add(GAS_ROWS, 'gas');
  add(WATER_ROWS, 'water');
  add(AMBIENT_ROWS, 'ambient');
  return Object.freeze(table);
}

/** HJ 212-2017 code → info. */
export const POLLUTANT_CODES: Readonly<Record<string, PollutantInfo>> = buildTable();

/** Info for a 2017 code, or undefined for codes not in the table (which the intake still keeps). */
export function pollutantInfo(code: string): PollutantInfo | undefined {
  return Object.hasOwn(POLLUTANT_CODES, code) ? POLLUTANT_CODES[code] : undefined;
}

function build2005Map(rows: readonly Row[]): Readonly<Record<string, string>> {
  const map: Record<string, string> = {};
  for (const [code, , , , , code2005] of rows) if (code2005 !== null) map[code2005] = code;
  return Object.freeze(map);
}

/** 2005 原编码 → 2017 code, per medium: gas codes are `01`…`37`, `B02`, `S01`…; water `001`…`571`, `B01`. */
export const CODE_2005_TO_2017_BY_MEDIUM: Readonly<{
  gas: Readonly<Record<string, string>>;
  water: Readonly<Record<string, string>>;
}> = Object.freeze({ gas: build2005Map(GAS_ROWS), water: build2005Map(WATER_ROWS) });

/**
 * 2005 原编码 → 2017 code, for codes that mean the same in both tables. A code listed in both media with
 * different meanings (none in the current tables: gas codes have 2 digits, water codes 3) is left out
 * here and resolved by `map2005Code` from the ST.
 */
export const CODE_2005_TO_2017: Readonly<Record<string, string>> = buildUnambiguous2005Map();

function buildUnambiguous2005Map(): Readonly<Record<string, string>> {
  const { gas, water } = CODE_2005_TO_2017_BY_MEDIUM;
  const map: Record<string, string> = {};
  for (const [code2005, code] of Object.entries(gas)) {
    const other = Object.hasOwn(water, code2005) ? water[code2005] : undefined;
    if (other === undefined || other === code) map[code2005] = code;
  }
  for (const [code2005, code] of Object.entries(water)) {
    if (!Object.hasOwn(gas, code2005)) map[code2005] = code;
  }
  return Object.freeze(map);
}

/** Longest 2005 原编码 (3: "001", "B02", "S01"); longer codes are never 2005 codes. */
export const MAX_2005_CODE_LENGTH: number = Math.max(
  ...Object.keys(CODE_2005_TO_2017).map((code) => code.length),
);

/**
 * Medium implied by a system code (STD 表5): 31 大气环境污染源, 51 烟气排放过程监控, 22 空气质量,
 * 27 VOC, 39 工地扬尘 → gas; 32 地表水体环境污染源, 52 污水排放过程监控, 21 地表水, 24 地下水,
 * 26 海水, 33 地下水体污染源, 34 海洋污染源 → water. Other STs imply nothing.
 */
export function mediumOfSt(st: string | undefined): 'gas' | 'water' | undefined {
  switch (st) {
    case '31':
    case '51':
    case '22':
    case '27':
    case '39':
      return 'gas';
    case '32':
    case '52':
    case '21':
    case '24':
    case '26':
    case '33':
    case '34':
      return 'water';
    default:
      return undefined;
  }
}

/**
 * The 2017 code for a 2005 原编码, or undefined when `code` is not a known 2005 code (2017 codes and
 * unknown codes are returned as undefined, so callers keep them as received). The ST's medium decides
 * between tables first; a code from the other table is still mapped when unambiguous, because real
 * gateways send flue-gas codes with ST=32 (vectors: bocon-2011-cems-zsrtd).
 */
export function map2005Code(code: string, st?: string): string | undefined {
  const medium = mediumOfSt(st);
  if (medium !== undefined) {
    const table = CODE_2005_TO_2017_BY_MEDIUM[medium];
    if (Object.hasOwn(table, code)) return table[code];
  }
  return Object.hasOwn(CODE_2005_TO_2017, code) ? CODE_2005_TO_2017[code] : undefined;
}

/** The 2005 原编码 of a 2017 code, for encoding 2005-style frames; undefined when there is none. */
export function code2005Of(code: string): string | undefined {
  return pollutantInfo(code)?.code2005;
}
