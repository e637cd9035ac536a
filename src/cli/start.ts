// `sealdns start` (what `npm start` runs): the embedded lab, a private signed internet on
// 127.<net>.x.y, plus the resolver serving it in-process on 127.0.0.1:5300, until SIGINT/SIGTERM.

import { startLab } from '../authority/lab/lab.js';
import { resolveConfig } from './config.js';
import { describeListeners, makeLogger, type Serving, startServe, untilSignal } from './serve.js';

export const DEFAULT_START_LISTEN = '127.0.0.1:5300';

export interface StartFlags {
  listen?: string;
}

export async function runStart(flags: StartFlags): Promise<void> {
  const listen = flags.listen ?? DEFAULT_START_LISTEN;
  let lab: Awaited<ReturnType<typeof startLab>>;
  try {
    lab = await startLab();
  } catch (e) {
    if (/EACCES/.test(String((e as Error).cause ?? e)))
      throw new Error(
        `${(e as Error).message}: the lab binds ports 53, 853 and 443 on 127.<net>.x.y; run as root or with CAP_NET_BIND_SERVICE`,
        { cause: e },
      );
    throw e;
  }
  let serving: Serving;
  try {
    const config = resolveConfig({
      flags: {
        listen: [listen],
        'root-hints': lab.rootHintsFile,
        'trust-anchor': lab.trustAnchorFile,
        'log-level': 'warn',
      },
    });
    serving = await startServe(config, makeLogger(config.logLevel));
  } catch (e) {
    await lab.close();
    throw e;
  }
  // the control socket (`sealdns control servers` shows the lab servers' transport state)
  const { startOperations } = await import('./operate.js');
  const ops = await startOperations(serving, { reloadConfig: async () => serving.config }).catch(async (e) => {
    await serving.close();
    await lab.close();
    throw e;
  });
  const { address: ip, port } = serving.service.listeners[0];
  const server = ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
  process.stdout.write(
    [
      `sealdns: lab running on 127.${lab.net}.x.y (files in ${lab.dir})`,
      `sealdns: resolver serving on ${describeListeners(serving.service)}`,
      `  root hints:   ${lab.rootHintsFile}`,
      `  trust anchor: ${lab.trustAnchorFile}`,
      '',
      'Try:',
      `  sealdns query www.clear.test A --server ${server}     (node dist/src/cli/main.js query ...)`,
      `  dig @${ip} -p ${port} www.dot.test`,
      `  kdig @${ip} -p ${port} +tcp www.nsec3.test`,
      ...(ops.control === undefined ? [] : [`  sealdns control servers --socket ${ops.control.path}`]),
      '',
      'Ctrl-C stops the resolver and the lab.',
      '',
    ].join('\n'),
  );
  await untilSignal();
  await ops.close();
  await serving.close();
  await lab.close();
}
