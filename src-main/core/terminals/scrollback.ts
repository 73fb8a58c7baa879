/** The recent output of a terminal, kept in main so a reloaded window can restore its screen. */
export class Scrollback {
  private chunks: string[] = [];
  private size = 0;
  constructor(private readonly maxChars: number) {}

  push(data: string): void {
    this.chunks.push(data);
    this.size += data.length;
    while (this.size > this.maxChars && this.chunks.length > 1) this.size -= (this.chunks.shift() as string).length;
    if (this.size > this.maxChars) {
      const only = this.chunks[0] as string;
      this.chunks = [only.slice(only.length - this.maxChars)];
      this.size = this.maxChars;
    }
  }

  text(): string {
    return this.chunks.join('');
  }
}
