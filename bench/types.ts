/** One row of `npm run bench`: one metric, hamelin's figure and each peer's, same run. */
export interface BenchRow {
  /** e.g. `net`, `ws`, `http` */
  group: string;
  /** e.g. `churn c=1` */
  metric: string;
  /** e.g. `conn/s`, `ms`, `MB/s`, `MiB` */
  unit: string;
  /** true when a bigger figure is better (conn/s), false when smaller is (latency, RSS). */
  higherIsBetter: boolean;
  hamelin: number | null;
  /** peer name -> figure; null when the peer is not installed or the run failed. */
  peers: Record<string, number | null>;
  note?: string;
}

/**
 * A bench suite: bench/suites/NAME.ts default-exports one of these. A suite that can measure
 * pieces of itself alone also exports `parts` (their names); it is then called with the parts
 * asked for (`npm run bench -- ws:idle`), or null for all of them.
 */
export type Suite = (parts: ReadonlySet<string> | null) => Promise<BenchRow[]>;
