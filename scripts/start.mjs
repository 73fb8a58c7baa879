// `npm start`: the Electron window needs Electron's binary, which these machines
// cannot download; until the desktop shell lands, start the browser host (the
// same core and API over WebSocket) and print its URL with the access token.
import { spawn } from 'node:child_process';

const child = spawn(process.execPath, ['bin/benchtop.js', 'serve', ...process.argv.slice(2)], { stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
