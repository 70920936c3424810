/** What a metric says about itself (prom-client's metric objects and crilog's own families carry these). */
export interface Metric {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary';
  labelNames: readonly string[];
}
