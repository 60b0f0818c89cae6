import type { FastifyInstance } from 'fastify';
import { type AppOptions, buildApp } from './app.ts';

export interface ServeOptions extends AppOptions {
  port?: number;
  host?: string;
  /** Install SIGINT/SIGTERM handlers that shut down gracefully (the CLI does; tests do not). */
  handleSignals?: boolean;
}

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  close(): Promise<void>;
}

/**
 * Boots the app and listens. Shutdown (close() or a signal) stops taking requests, kills every
 * sandboxed process, drops every episode's namespace and removes its workspace, then exits.
 */
export async function serve(opts: ServeOptions = {}): Promise<RunningServer> {
  const { port = 8080, host = '127.0.0.1', handleSignals = false, ...appOptions } = opts;
  const app = await buildApp(appOptions);
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => (closing ??= app.close());
  try {
    await app.listen({ port, host });
  } catch (err) {
    await close();
    throw err;
  }
  const address = app.server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`;

  if (handleSignals) {
    const onSignal = (signal: NodeJS.Signals): void => {
      if (closing) {
        app.log.warn({ signal }, 'second signal: exiting without finishing the shutdown');
        process.exit(1);
      }
      app.log.info({ signal }, 'shutting down: killing sandboxes, dropping namespaces');
      close().then(
        () => process.exit(0),
        (err: unknown) => {
          app.log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  return { app, url, close };
}
