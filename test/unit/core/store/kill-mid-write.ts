/**
 * Run as its own process (bundled by child-script.ts): replaces a file with
 * writeFileAtomic or replaceFile, and is SIGKILLed at one point of the write —
 * as a crash or a power cut would stop it there.
 *
 *   kill-mid-write.ts <atomic|replace> <path> <content> <write|fsync|rename>
 */
import fs from 'node:fs';
import { replaceFile, writeFileAtomic } from '../../../../src-main/core/store/atomic';

const [how, path, content, at] = process.argv.slice(2) as [string, string, string, string];
const die = (): never => {
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable');
};
if (at === 'write') {
  // Half the bytes reach the disk, then the process dies.
  const realWrite = fs.writeSync;
  fs.writeSync = ((fd: number, data: Uint8Array) => {
    realWrite(fd, data.subarray(0, data.length >> 1));
    fs.fsyncSync(fd);
    return die();
  }) as unknown as typeof fs.writeSync;
  const realWriteFile = fs.writeFileSync;
  fs.writeFileSync = ((file: fs.PathOrFileDescriptor, data: string) => {
    realWriteFile(file, data.slice(0, data.length >> 1));
    return die();
  }) as unknown as typeof fs.writeFileSync;
} else if (at === 'fsync') {
  fs.fsyncSync = die;
} else if (at === 'rename') {
  fs.renameSync = die;
}
// Bundled as CommonJS, the store looks its fs functions up on the module object when it calls them: it gets these.
if (how === 'atomic') writeFileAtomic(path, content);
else replaceFile(path, content);
