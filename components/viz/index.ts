// The viz toolkit's public surface: pure chart functions, their helpers, and the React host.
export { runChart, runSeries, formatSI, type ChartRun, type ChartXAxis, type RunChartOptions, type ChartPoint, type GrowthMark, type DivergenceMark } from './runChart';
export { heatmap, heatmapFromAttention, heatmapLayout, heatmapCellAt, heatmapImage, heatmapDomain, newColumnMask, type HeatmapData, type HeatmapOptions, type HeatmapLayout, type HeatmapCell } from './heatmap';
export { headMap, headMaps, headMapsFromAttention, headImage, headCellAt, type HeadMapData, type HeadMapOptions, type HeadMapsData, type HeadMapsOptions } from './headMap';
export { usageChart, usageFromStats, usagePoints, usageTip, formatContext, type UsagePoint, type UsageData, type UsageChartOptions } from './usageChart';
export { columnOrder, orderByWeight, orderByCluster, naturalOrder, isPermutation, columnSums, columnMeans, topK, deadTokens, type ColumnOrder } from './ordering';
export { downsampleMinMax, bucketColumns, type ColumnAggregate, type ColumnBuckets } from './downsample';
export { runsTable, differingConfigKeys, runToCsv, runToJson, csvField, stableStringify, CSV_COLUMNS, type RunRecord, type RunsTableRow } from './runs';
export { colorLUT, colorLegend, valuesToRGBA, parseColor, extent, type ColorScheme } from './color';
export { putPixels, gridCanvas, gridCell, type PixelImage, type PixelSink } from './canvas';
export { formatValue } from '../../lib/format/numbers';
export { tokenLossMap, layoutTokens, type TokenLossData, type TokenLossOptions, type TokenBox } from './tokenLoss';
export { resolveDocument, type VizElement, type DocumentOption } from './dom';
export { byteLabel } from '../../lib/data/tokenizer';
export { PlotView, type PlotViewProps } from './PlotView';
