/**
 * Records a terminal session as an asciicast v2 file: a JSON header line, then
 * one `[seconds, "o"|"r", data]` line per event. Output is redacted before it
 * is written; keystrokes are not recorded (they may be passwords).
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';

export class AsciicastWriter {
  private readonly out: WriteStream;
  private readonly started = performance.now();
  private closed = false;

  constructor(path: string, header: { width: number; height: number; title: string; env?: Record<string, string> }) {
    mkdirSync(dirname(path), { recursive: true });
    this.out = createWriteStream(path, { flags: 'w', mode: 0o600 });
    this.out.write(
      `${JSON.stringify({ version: 2, width: header.width, height: header.height, timestamp: Math.floor(Date.now() / 1000), title: header.title, env: header.env ?? { TERM: 'xterm-256color', SHELL: '/bin/sh' } })}\n`,
    );
  }

  private t(): number {
    return Math.round(performance.now() - this.started) / 1000;
  }

  output(data: string): void {
    if (!this.closed && data) this.out.write(`${JSON.stringify([this.t(), 'o', data])}\n`);
  }

  resize(cols: number, rows: number): void {
    if (!this.closed) this.out.write(`${JSON.stringify([this.t(), 'r', `${cols}x${rows}`])}\n`);
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return new Promise((resolve) => this.out.end(resolve));
  }
}
