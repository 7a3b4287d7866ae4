// BTQL over POST /btql (docs/btql.md), and the quoting a query text needs.
import { data } from './client';

export interface BtqlResult<Row = Record<string, unknown>> {
  data: Row[];
  schema?: unknown;
  cursor?: string | null;
}

/** A BTQL string literal: single quotes, with `\` and `'` escaped. */
export function quote(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export function btql<Row = Record<string, unknown>>(query: string, signal?: AbortSignal): Promise<BtqlResult<Row>> {
  return data<BtqlResult<Row>>('/btql', { body: { query, fmt: 'json' }, signal });
}
