/**
 * Child process for the file channel kill test: concurrent producers put numbered events and print
 * "P <n>" after each put commit resolves; concurrent consumers take, print "t <n>" before and "T <n>" after each take
 * commit resolves. The parent kills it with SIGKILL at random moments and checks the log on restart.
 */
import { FileChannel, fileChannelSchema } from "../channels/file";

const [dataDir, startAt] = process.argv.slice(2);
const ch = new FileChannel("c1", fileChannelSchema.parse({ type: "file", dataDir, minimumRequiredSpace: 0, checkpointBytes: 256 * 1024 }));
await ch.start();
let next = Number(startAt);

async function producer(): Promise<void> {
  for (;;) {
    const n = Math.ceil(Math.random() * 50);
    const ids = Array.from({ length: n }, () => next++);
    const tx = ch.begin();
    tx.put(ids.map((id) => ({ headers: { id: String(id) }, body: Buffer.alloc(200, id % 251) })));
    await tx.commit();
    process.stdout.write(ids.map((id) => `P ${id}\n`).join(""));
  }
}

async function consumer(): Promise<void> {
  for (;;) {
    const tx = ch.begin();
    const got = tx.take(30);
    if (got.length === 0) {
      tx.rollback();
      await new Promise((r) => setTimeout(r, 1));
      continue;
    }
    if (Math.random() < 0.2) {
      tx.rollback();
      continue;
    }
    // Announced before the commit: a kill after the commit but before the "T" line must still be accounted for.
    process.stdout.write(got.map((e) => `t ${e.headers.id}\n`).join(""));
    await tx.commit();
    process.stdout.write(got.map((e) => `T ${e.headers.id}\n`).join(""));
  }
}

process.stdout.write("READY\n");
await Promise.all([producer(), producer(), producer(), consumer(), consumer()]);
