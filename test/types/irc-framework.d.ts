// irc-framework ships no types; the tests use only this much of it.
declare module 'irc-framework' {
  export interface IrcEvent {
    nick: string;
    target: string;
    message: string;
    new_nick?: string;
    channel?: string;
    ident?: string;
  }
  export class Client {
    constructor(options?: Record<string, unknown>);
    user: { nick: string };
    connect(options: Record<string, unknown>): void;
    on(event: string, listener: (e: IrcEvent) => void): this;
    say(target: string, text: string): void;
    action(target: string, text: string): void;
    changeNick(nick: string): void;
    join(channel: string): void;
    quit(message?: string): void;
  }
  const IRC: { Client: typeof Client };
  export default IRC;
}
