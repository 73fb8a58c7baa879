/** A test-side terminal viewer: collects a terminal's output over the real RPC and acks it like xterm would. */
import type { BenchtopClient } from '../../src-preload/client';
import type { TerminalInfo } from '../../src-preload/contract';

export class TerminalViewer {
  output = '';
  info: TerminalInfo | null = null;
  private readonly off: (() => void)[] = [];

  constructor(
    private readonly client: BenchtopClient,
    readonly id: string,
    opts: { ack?: boolean } = {},
  ) {
    this.off.push(
      client.on('terminal.data', (p) => {
        if (p.id !== id) return;
        this.output += p.data;
        if (opts.ack !== false) void client.call('terminals.ack', { id, chars: p.data.length }).catch(() => undefined);
      }),
      client.on('terminal.changed', (p) => {
        if (p.terminal.id === id) this.info = p.terminal;
      }),
    );
  }

  async type(text: string): Promise<void> {
    await this.client.call('terminals.write', { id: this.id, data: text });
  }

  async waitFor(pattern: RegExp | string, timeoutMs = 20_000): Promise<void> {
    const start = Date.now();
    const matches = () => (typeof pattern === 'string' ? this.output.includes(pattern) : pattern.test(this.output));
    while (!matches()) {
      if (Date.now() - start > timeoutMs) throw new Error(`terminal output never matched ${pattern} (${this.output.length} chars); got: ${JSON.stringify(this.output.slice(-300))}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async waitForExit(timeoutMs = 20_000): Promise<number> {
    const start = Date.now();
    while (this.info?.exitCode === null || this.info === null || this.info.running) {
      if (Date.now() - start > timeoutMs) throw new Error('terminal did not exit');
      await new Promise((r) => setTimeout(r, 25));
    }
    return this.info.exitCode as number;
  }

  dispose(): void {
    for (const f of this.off) f();
  }
}
