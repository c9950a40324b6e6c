/**
 * WAIT without replicas (always 0: at once, or after the timeout as a blocked client), and the
 * MEMORY PURGE reply; compared with real Redis 7.0.
 */
import * as assert from 'uvu/assert';
import { differentialSuite, diffTest } from './helpers/suite';
import { enginesUnderTest } from './helpers/servers';
import { RawConnection, text } from './helpers/raw';
import { renderNode } from '../src/protocol/resp-reader';

for (const engine of enginesUnderTest()) {
  const t = differentialSuite('wait', engine);

  diffTest(t, 'WAIT replies and errors', async ({ d }) => {
    await d.all([
      ['WAIT', '0', '0'],
      ['WAIT', '-1', '10'],
      ['WAIT', 'x', '10'],
      ['WAIT', '1', '-1'],
      ['WAIT', '1', 'x'],
      ['WAIT', '1', '1.5'],
      ['WAIT', '1'],
      ['WAIT', '1', '50'],
      ['MULTI'],
      ['WAIT', '5', '0'],
      ['EXEC'],
      ['EVAL', "return redis.call('wait', 1, 0)", '0'],
      ['MEMORY', 'PURGE'],
    ]);
  });

  diffTest(t, 'WAIT blocks until its timeout, counted as blocked; CLIENT UNBLOCK answers 0', async ({ srv, ref }) => {
    const run = async (port: number) => {
      const out: string[] = [];
      const w = await RawConnection.connect(port);
      const l = await RawConnection.connect(port);
      const id = renderNode(await w.send('CLIENT', 'ID')).slice(1);
      const t0 = Date.now();
      w.write('*3\r\n$4\r\nWAIT\r\n$1\r\n1\r\n$3\r\n200\r\n');
      out.push(String(await w.hasReplyWithin(100)));
      out.push(/blocked_clients:\d+/.exec(text(await l.send('INFO', 'clients')))![0]);
      out.push(renderNode(await w.next()));
      out.push(String(Date.now() - t0 >= 190));
      w.write('*3\r\n$4\r\nWAIT\r\n$1\r\n1\r\n$1\r\n0\r\n');
      out.push(String(await w.hasReplyWithin(100)));
      out.push(renderNode(await l.send('CLIENT', 'UNBLOCK', id)));
      out.push(renderNode(await w.next()));
      w.close();
      l.close();
      return out;
    };
    assert.equal(await run(srv.port), await run(ref.port));
  });
  t.run();
}
