/** A local service: reused when something already answers on its port, else started by us. */
export interface LocalService {
  /** Folder under .local/ (data, pid file) and log file name. */
  id: string;
  name: string;
  port: number;
  /** Installs what is missing; idempotent and fast when everything is present. */
  install(): void;
  /** Starts the server, returning once it answers; only called when the port is free. */
  start(): Promise<void>;
  /** Applies settings the app relies on to a server that was already running (optional). */
  configureReused?(): Promise<void>;
  /** Answers true when the server on the port is ready for work. */
  isReady(): Promise<boolean>;
}
