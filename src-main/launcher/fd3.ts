/**
 * A tiny launcher for PTY sessions that must hand data to their program on
 * file descriptor 3 (bwrap --args 3 carries secret env values, so they are in
 * no argv). A PTY child has only fds 0–2; this process inherits the terminal,
 * opens fd 3 as a pipe and writes the payload, which it takes from its own
 * environment (BENCHTOP_FD3, base64) and removes before starting the program.
 *
 *   node fd3.js PROGRAM ARGS...
 */
import { spawn } from 'node:child_process';

const payload = Buffer.from(process.env.BENCHTOP_FD3 ?? '', 'base64');
delete process.env.BENCHTOP_FD3;
const [file, ...args] = process.argv.slice(2);
if (!file) {
  process.stderr.write('fd3 launcher: no program given\n');
  process.exit(125);
}
const child = spawn(file, args, { stdio: ['inherit', 'inherit', 'inherit', 'pipe'], env: process.env });
const fd3 = child.stdio[3] as NodeJS.WritableStream | null;
fd3?.end(payload);
child.on('error', (err) => {
  process.stderr.write(`fd3 launcher: ${err.message}\n`);
  process.exit(127);
});
for (const sig of ['SIGHUP', 'SIGTERM', 'SIGINT'] as const) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + 1 : 1)));
