/**
 * The daemon's own log (CORE-17). Children's stderr shares the daemon's stderr byte for
 * byte, so every line the daemon writes itself starts with the fixed prefix `hamelin: `
 * (text) or is a JSON object with a `"hamelin"` key (json), and can be told apart.
 */
import { openSync, writeSync, closeSync } from 'node:fs';

export type LogLevel = 'info' | 'warn' | 'error';
export type LogFormat = 'text' | 'json';
export type Fields = Record<string, string | number | boolean | null | undefined>;

export interface LoggerOptions {
  daemon: string;
  format: LogFormat;
  /** Append to this file instead of stderr. */
  file?: string | undefined;
  /** Drop info-level lines. */
  quiet?: boolean;
}

export class Logger {
  private fd: number;
  private readonly ownsFd: boolean;

  constructor(private readonly opts: LoggerOptions) {
    if (opts.file) {
      this.fd = openSync(opts.file, 'a');
      this.ownsFd = true;
    } else {
      this.fd = 2;
      this.ownsFd = false;
    }
  }

  info(event: string, fields: Fields = {}): void {
    if (!this.opts.quiet) this.write('info', event, fields);
  }
  /** An info line that --quiet keeps: `listening`, the one line tools wait for. */
  notice(event: string, fields: Fields = {}): void {
    this.write('info', event, fields);
  }
  warn(event: string, fields: Fields = {}): void {
    this.write('warn', event, fields);
  }
  error(event: string, fields: Fields = {}): void {
    this.write('error', event, fields);
  }

  close(): void {
    if (this.ownsFd) closeSync(this.fd);
  }

  /** The --log-file, if any; undefined when logging to stderr. */
  get file(): string | undefined {
    return this.opts.file;
  }

  /**
   * Open --log-file again by its name and write there from now on (CORE-34): after logrotate
   * has renamed it, the old descriptor still points at the renamed file. The old one is closed
   * only once the new one is open; on failure the old one is kept and the error thrown.
   */
  reopen(): void {
    if (!this.ownsFd || !this.opts.file) return;
    const fd = openSync(this.opts.file, 'a');
    const old = this.fd;
    this.fd = fd;
    closeSync(old);
  }

  /** A reload's part for the log (CORE-34): reopen --log-file, and say so, or why not, in it. */
  reopenAndSay(): void {
    if (this.opts.file === undefined) return;
    try {
      this.reopen();
      this.info('log-reopen', { file: this.opts.file });
    } catch (e) {
      this.error('log-reopen', { file: this.opts.file, error: (e as NodeJS.ErrnoException).code ?? (e as Error).message });
    }
  }

  private write(level: LogLevel, event: string, fields: Fields): void {
    const time = new Date().toISOString();
    let line: string;
    if (this.opts.format === 'json') {
      line = JSON.stringify({ hamelin: this.opts.daemon, time, level, event, ...fields }) + '\n';
    } else {
      let kv = '';
      for (const [k, v] of Object.entries(fields)) {
        if (v === undefined) continue;
        kv += ` ${k}=${formatValue(v)}`;
      }
      line = `hamelin: ${time} ${this.opts.daemon} ${level} ${event}${kv}\n`;
    }
    // Synchronous, so a line is never torn or lost when the daemon exits right after it.
    try {
      writeSync(this.fd, line);
    } catch {
      /* a closed stderr must not take the daemon down */
    }
  }
}

function formatValue(v: string | number | boolean | null): string {
  const s = String(v);
  return /^[^\s"=]+$/.test(s) ? s : JSON.stringify(s);
}
