/**
 * The part of irc-framework 4.14 that hamelin-irc uses. The package ships no types (#166);
 * these were written from its source (src/client.js, src/connection.js, src/commands/).
 */
declare module 'irc-framework' {
  export interface ClientOptions {
    host: string;
    port: number;
    nick: string;
    username?: string;
    gecos?: string;
    /** Server password (PASS). */
    password?: string;
    /** SASL PLAIN credentials. `{}` stops the bare server password from being tried as SASL. */
    account?: { account?: string; password?: string };
    tls?: boolean;
    rejectUnauthorized?: boolean;
    encoding?: string;
    /** Answer CTCP VERSION with this; '' turns the automatic (unthrottled) answer off. */
    version?: string;
    auto_reconnect?: boolean;
    auto_reconnect_max_retries?: number;
    /** Seconds between our PINGs once registered. */
    ping_interval?: number;
    /** Seconds without any line from the server before the connection is dropped. */
    ping_timeout?: number;
    message_max_length?: number;
    sasl_disconnect_on_fail?: boolean;
  }

  export interface MessageEvent {
    nick: string;
    ident: string;
    hostname: string;
    target: string;
    /** STATUSMSG prefix, as in `@#chan`. */
    group?: string;
    message: string;
    from_server: boolean;
    account?: string | false;
    tags: Record<string, string>;
  }

  export interface UserEvent {
    nick: string;
    ident: string;
    hostname: string;
  }

  export interface JoinEvent extends UserEvent {
    channel: string;
    /** Set with extended-join: false when not logged in. */
    account?: string | false;
    gecos: string;
  }
  export interface PartEvent extends UserEvent {
    channel: string;
    message: string;
  }
  export interface KickEvent extends UserEvent {
    channel: string;
    kicked: string;
    message: string;
  }
  export interface QuitEvent extends UserEvent {
    message: string;
  }
  export interface NickEvent extends UserEvent {
    new_nick: string;
  }
  export interface AccountEvent extends UserEvent {
    account: string | false;
  }
  export interface NickInUseEvent {
    nick: string;
    reason: string;
  }
  export interface IrcErrorEvent {
    error: string;
    channel?: string;
    nick?: string;
    reason?: string;
  }
  /** A numeric or command irc-framework has no handler for (477 among them), as parsed. */
  export interface UnknownCommandEvent {
    command: string;
    params: string[];
    nick: string;
  }
  export interface RegisteredEvent {
    nick: string;
  }

  export interface ClientEvents {
    'socket connected': () => void;
    'socket close': (err?: Error | false) => void;
    close: (hadError: boolean) => void;
    registered: (e: RegisteredEvent) => void;
    /** The end of the MOTD (376), or its absence (422): after the ISUPPORT lines. */
    motd: () => void;
    'ping timeout': () => void;
    privmsg: (e: MessageEvent) => void;
    join: (e: JoinEvent) => void;
    part: (e: PartEvent) => void;
    kick: (e: KickEvent) => void;
    quit: (e: QuitEvent) => void;
    nick: (e: NickEvent) => void;
    account: (e: AccountEvent) => void;
    'nick in use': (e: NickInUseEvent) => void;
    'nick invalid': (e: NickInUseEvent) => void;
    'irc error': (e: IrcErrorEvent) => void;
    'unknown command': (e: UnknownCommandEvent) => void;
    'sasl failed': (e: { reason: string; message?: string }) => void;
    loggedin: (e: { nick: string; account: string }) => void;
  }

  export class Client {
    constructor(options?: ClientOptions);
    connect(options?: ClientOptions): void;
    /** Sends one line as given: callers must build it safely. */
    raw(line: string): void;
    quit(message?: string): void;
    changeNick(nick: string): void;
    join(channel: string, key?: string): void;
    say(target: string, message: string): void;
    caseCompare(a: string, b: string): boolean;
    caseLower(s: string): string;
    readonly connected: boolean;
    user: { nick: string; username: string; host: string };
    network: { options: Record<string, unknown>; name?: string };
    /** One object for the client's lifetime; every line the library sends goes through `write`. */
    connection: { end(data?: string, hadError?: boolean): void; write(line: string, callback?: () => void): void; connected: boolean };
    on<E extends keyof ClientEvents>(event: E, listener: ClientEvents[E]): this;
    once<E extends keyof ClientEvents>(event: E, listener: ClientEvents[E]): this;
    removeAllListeners(event?: string): this;
  }
}
