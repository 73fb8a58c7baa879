/**
 * The agent's stream carried by a host program (SLURM placement: `srun
 * --jobid … --overlap` onto the node where the VM runs): the program only
 * joins its stdin and stdout to the VM's agent socket there, and the host
 * speaks the protocol through it as if it were connected itself.
 */
import { Duplex } from 'node:stream';
import type { Runner } from '../runner/runner';

/** Node joining its stdio to a Unix socket; fixed text, the path is its only argument. */
export const BRIDGE_SCRIPT = [
  "const s = require('net').connect(process.argv[1]);",
  'process.stdin.pipe(s);',
  's.pipe(process.stdout);',
  "s.on('error', (e) => { process.stderr.write('benchtop: cannot reach the guest agent: ' + e.message + '\\n'); process.exit(1); });",
  "s.on('close', () => process.exit(0));",
].join('\n');

/** The bridge's argv after the carrier's (pipes only: a PTY would mangle the frames). */
export function bridgeArgv(carrier: string[], node: string, agentSocket: string): string[] {
  return [...carrier, node, '-e', BRIDGE_SCRIPT, agentSocket];
}

/** Starts `argv` and returns its stdin and stdout as one duplex stream; ending it ends the program. */
export function carriedStream(runner: Runner, argv: string[]): Duplex {
  let stdin: NodeJS.WritableStream | null = null;
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, done) {
      if (!stdin) return done(new Error('the carrier has no stdin'));
      stdin.write(chunk, () => done());
    },
    final(done) {
      stdin?.end();
      done();
    },
    destroy(err, done) {
      started.kill();
      done(err);
    },
  });
  const started = runner.start(argv, { stdin: true, onStdout: (c) => stream.push(c), onStderr: () => undefined });
  stdin = started.stdin;
  void started.exited.then(() => stream.push(null));
  return stream;
}
