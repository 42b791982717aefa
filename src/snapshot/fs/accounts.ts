/** User and group names ↔ numeric ids, from /etc/passwd and /etc/group (parsed once, no getpwuid). */
import { readFile } from 'node:fs/promises';

interface Table {
  readonly nameOf: Map<number, string>;
  readonly idOf: Map<string, number>;
}

export class AccountDb {
  private constructor(
    private readonly users: Table,
    private readonly groups: Table,
  ) {}

  /** Reads both files; a missing or unreadable file gives an empty table (names are optional). */
  static async load(passwdPath = '/etc/passwd', groupPath = '/etc/group'): Promise<AccountDb> {
    const [passwd, group] = await Promise.all([readTable(passwdPath), readTable(groupPath)]);
    return new AccountDb(passwd, group);
  }

  static fromText(passwd: string, group: string): AccountDb {
    return new AccountDb(parseTable(passwd), parseTable(group));
  }

  userName(uid: number): string | undefined {
    return this.users.nameOf.get(uid);
  }
  groupName(gid: number): string | undefined {
    return this.groups.nameOf.get(gid);
  }
  uidOf(name: string): number | undefined {
    return this.users.idOf.get(name);
  }
  gidOf(name: string): number | undefined {
    return this.groups.idOf.get(name);
  }
}

let system: Promise<AccountDb> | undefined;

/** This machine's accounts, loaded on first use and cached for the life of the process. */
export function systemAccounts(): Promise<AccountDb> {
  system ??= AccountDb.load();
  return system;
}

async function readTable(path: string): Promise<Table> {
  try {
    return parseTable(await readFile(path, 'utf8'));
  } catch {
    return parseTable('');
  }
}

/** `name:x:id:...` lines; the first line for an id or a name wins, as with getpwuid/getpwnam. */
function parseTable(text: string): Table {
  const nameOf = new Map<number, string>();
  const idOf = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [name, , idText] = line.split(':');
    if (name === undefined || name === '' || idText === undefined || !/^\d+$/.test(idText)) continue;
    const id = Number(idText);
    if (!nameOf.has(id)) nameOf.set(id, name);
    if (!idOf.has(name)) idOf.set(name, id);
  }
  return { nameOf, idOf };
}
