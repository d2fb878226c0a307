import { Command, InvalidArgumentError, Option } from 'commander';
import type { CommandContext } from './context.js';

/** What a lazily loaded command module exports. */
export interface CommandModule {
  execute(ctx: CommandContext, input: CommandInput): Promise<void>;
}

/** The positional arguments and the command's own options. */
export interface CommandInput {
  args: unknown[];
  options: Record<string, unknown>;
}

/** Runs a command: resolves settings, builds the context, loads the module, reports errors. */
export type ActionRunner = (
  load: () => Promise<CommandModule>,
  args: unknown[],
  command: Command,
) => Promise<void>;

/** Options of {@link buildProgram}. */
export interface BuildProgramOptions {
  /** Shown by `--version`. */
  version: string;
  /** Called for every command action. */
  run: ActionRunner;
  /** Where help and parse errors go. */
  writeOut: (text: string) => void;
  writeErr: (text: string) => void;
}

function integer(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`Expected an integer from ${min} to ${max}.`);
    return n;
  };
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('Expected a positive number.');
  return n;
}

function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}

/** The whole command tree. Heavy modules load inside actions, so building this stays cheap. */
export function buildProgram(options: BuildProgramOptions): Command {
  const { run } = options;
  const action =
    (load: () => Promise<CommandModule>) =>
    (...args: unknown[]) => {
      const command = args.pop() as Command;
      args.pop(); // commander's options object; the runner reads command.opts()
      return run(load, args, command);
    };

  const program = new Command('face-encode')
    .description('Encode selfies into 128-number face encodings and manage face-encode sessions.')
    .version(options.version, '-V, --version', 'Print the version.')
    .helpOption('-h, --help', 'Show help.')
    .helpCommand('help [command]', 'Show help for a command.')
    .option('--url <url>', 'Server URL (env FACE_ENCODE_URL; default http://127.0.0.1:3030).')
    .option('--api-key <key>', 'API key (env FACE_ENCODE_API_KEY).')
    .option('--profile <name>', 'Stored profile to use (env FACE_ENCODE_PROFILE; default "default").')
    .option(
      '--user-id <id>',
      'Send the user_id header, for a server in demo auth mode (env FACE_ENCODE_USER_ID).',
    )
    .option('--json', 'Print machine-readable JSON on stdout and nothing else.')
    .option('-q, --quiet', 'No progress output.')
    .option('--no-color', 'Disable colors (also NO_COLOR).')
    .option('--timeout <seconds>', 'Per-request and wait timeout in seconds.', positiveNumber)
    .option('--debug', 'Log requests and print stack traces.')
    .showHelpAfterError('(run with --help for usage)')
    // Inherited by every subcommand added below: errors become exceptions, output goes to our streams.
    .exitOverride()
    .configureOutput({ writeOut: options.writeOut, writeErr: options.writeErr })
    .addHelpText(
      'after',
      examples(
        'face-encode login --url https://faces.example.com --api-key fe_live_123',
        'face-encode encode selfie1.jpg selfie2.jpg',
        'face-encode compare a.jpg b.jpg --json',
        'face-encode session list --status completed',
      ) +
        '\nExit codes: 0 ok, 1 failure, 2 usage, 3 auth, 4 not found, 5 limit or invalid input, 6 timeout, 7 server or network, 130 interrupted.\n',
    );

  program
    .command('login')
    .description('Check a server URL and API key, and save them in the profile.')
    .action(action(() => import('./commands/login.js')))
    .addHelpText(
      'after',
      examples(
        'face-encode login --url https://faces.example.com --api-key fe_live_123',
        'face-encode login --profile staging --url https://staging.example.com --api-key fe_test_456',
        'face-encode login --url http://127.0.0.1:3030 --user-id alice   # demo server',
      ),
    );

  program
    .command('logout')
    .description('Forget the saved credentials of the profile.')
    .action(action(() => import('./commands/logout.js')))
    .addHelpText('after', examples('face-encode logout', 'face-encode logout --profile staging'));

  const config = program
    .command('config')
    .description('Read and change saved profile settings (url, api-key, user-id).')
    .addHelpText(
      'after',
      examples('face-encode config list', 'face-encode config set url https://faces.example.com'),
    );
  config
    .command('get')
    .description('Print one saved setting of the profile.')
    .argument('<key>', 'url, api-key or user-id')
    .action(action(() => import('./commands/config-get.js')))
    .addHelpText(
      'after',
      examples('face-encode config get url', 'face-encode config get api-key --profile staging'),
    );
  config
    .command('set')
    .description('Save one setting in the profile.')
    .argument('<key>', 'url, api-key or user-id')
    .argument('<value>', 'the value')
    .action(action(() => import('./commands/config-set.js')))
    .addHelpText(
      'after',
      examples(
        'face-encode config set url https://faces.example.com',
        'face-encode config set user-id alice',
      ),
    );
  config
    .command('list')
    .description('Show the profile settings and where they are stored (API key masked).')
    .action(action(() => import('./commands/config-list.js')))
    .addHelpText('after', examples('face-encode config list', 'face-encode config list --json'));

  const session = program
    .command('session')
    .description('Open, show, list and delete sessions.')
    .addHelpText(
      'after',
      examples('face-encode session create', 'face-encode session list', 'face-encode session show <id>'),
    );
  session
    .command('create')
    .description('Open a session that accepts up to 5 images.')
    .option(
      '--ttl <seconds>',
      'Seconds until the session expires (60-604800; server default 86400).',
      integer(60, 604_800),
    )
    .option('--callback-url <url>', 'URL that receives the session.completed webhook.')
    .option('--vendor-data <text>', 'Opaque data returned as given.')
    .action(action(() => import('./commands/session-create.js')))
    .addHelpText(
      'after',
      examples(
        'face-encode session create',
        'face-encode session create --ttl 3600 --vendor-data customer-4711',
        'SESSION=$(face-encode session create --quiet)',
      ),
    );
  session
    .command('show')
    .description('Show a session: its images, faces, quality and verdict.')
    .argument('<id>', 'session id')
    .option('--encodings', 'Include the 128-number encodings.')
    .option('--landmarks', 'Include the 68 landmark points of each face.')
    .action(action(() => import('./commands/session-show.js')))
    .addHelpText(
      'after',
      examples(
        'face-encode session show 3f9c1e2a-7b4d-4e8f-9a6b-1c2d3e4f5a6b',
        'face-encode session show <id> --json --encodings',
      ),
    );
  session
    .command('list')
    .description('List your sessions, newest first.')
    .addOption(
      new Option('--status <status>', 'Only sessions in this status.').choices([
        'open',
        'processing',
        'completed',
        'expired',
      ]),
    )
    .option('--limit <n>', 'Page size (1-100).', integer(1, 100), 20)
    .option('--cursor <cursor>', 'Continue from a previous page.')
    .option('--all', 'Follow every page.')
    .action(action(() => import('./commands/session-list.js')))
    .addHelpText(
      'after',
      examples('face-encode session list', 'face-encode session list --status completed --all --json'),
    );
  session
    .command('delete')
    .description('Erase a session with its images and encodings.')
    .argument('<id>', 'session id')
    .option('-y, --yes', 'Do not ask for confirmation (required when not on a terminal).')
    .action(action(() => import('./commands/session-delete.js')))
    .addHelpText(
      'after',
      examples('face-encode session delete <id>', 'face-encode session delete <id> --yes'),
    );

  const collection = program
    .command('collection')
    .description('Keep faces in collections past their sessions, and find a person in them.');
  collection
    .command('create')
    .description('Create a collection.')
    .argument('<name>', 'a name for it')
    .action(action(() => import('./commands/collection-create.js')))
    .addHelpText('after', examples('face-encode collection create attendees'));
  collection
    .command('list')
    .description('List your collections, newest first.')
    .option('--limit <n>', 'Page size (1-100).', integer(1, 100), 20)
    .option('--cursor <cursor>', 'Continue from a previous page.')
    .action(action(() => import('./commands/collection-list.js')))
    .addHelpText('after', examples('face-encode collection list --json'));
  collection
    .command('delete')
    .description('Erase a collection, its faces and its key.')
    .argument('<id>', 'collection id')
    .option('-y, --yes', 'Confirm the deletion.')
    .action(action(() => import('./commands/collection-delete.js')))
    .addHelpText('after', examples('face-encode collection delete <id> --yes'));
  collection
    .command('add')
    .description('Keep faces of a completed session: the largest of every image, or one with --image.')
    .argument('<collection-id>', 'collection id')
    .argument('<session-id>', 'a completed session')
    .option('--image <image-id>', 'Only this image.')
    .option('--face-index <n>', 'Which face of --image (0 is the largest).', integer(0, 4))
    .option('--label <label>', 'A label for the face (with --image).')
    .option('--external-id <id>', 'Your own id for the face (with --image).')
    .action(action(() => import('./commands/collection-add.js')))
    .addHelpText(
      'after',
      examples(
        'face-encode collection add <collection-id> <session-id>',
        'face-encode collection add <collection-id> <session-id> --image <image-id> --label Ada',
      ),
    );
  collection
    .command('faces')
    .description("List a collection's faces.")
    .argument('<id>', 'collection id')
    .action(action(() => import('./commands/collection-faces.js')))
    .addHelpText('after', examples('face-encode collection faces <id> --json'));
  collection
    .command('search')
    .description('Find the person of a photo (its largest face) in a collection.')
    .argument('<id>', 'collection id')
    .argument('<photo>', 'JPEG, PNG, WebP or GIF image')
    .option('--k <n>', 'Most matches (1-100).', integer(1, 100))
    .option(
      '--max-distance <d>',
      'Only matches at most this far (default the server threshold).',
      positiveNumber,
    )
    .action(action(() => import('./commands/collection-search.js')))
    .addHelpText(
      'after',
      examples(
        'face-encode collection search <id> selfie.jpg',
        'face-encode collection search <id> selfie.jpg --k 10 --json',
      ),
    );

  program
    .command('upload')
    .description('Upload images into an existing session (checked locally first).')
    .argument('<session-id>', 'session id')
    .argument('<files...>', 'JPEG, PNG, WebP or GIF images')
    .option('--max-file-mb <mb>', 'Refuse files larger than this, locally.', positiveNumber, 8)
    .option(
      '--wait <seconds>',
      'Let the server hold each response until the image is encoded (0-30).',
      integer(0, 30),
    )
    .option('--direct', 'Send the bytes straight to storage (presigned URL), not through the API.')
    .action(action(() => import('./commands/upload.js')))
    .addHelpText(
      'after',
      examples(
        'face-encode upload <session-id> front.jpg side.png',
        'face-encode upload <session-id> selfie.webp --wait 10 --json',
        'face-encode upload <session-id> big.jpg --direct',
      ),
    );

  program
    .command('encode')
    .description(
      'Encode 1-5 selfies: open a session, upload, wait, print faces, quality and the same-person verdict.',
    )
    .argument('<files...>', '1 to 5 JPEG, PNG, WebP or GIF images')
    .option('--max-file-mb <mb>', 'Refuse files larger than this, locally.', positiveNumber, 8)
    .option('--encodings', 'Include the 128-number encodings.')
    .option('--ttl <seconds>', 'Seconds until the session expires.', integer(60, 604_800))
    .option('--vendor-data <text>', 'Opaque data stored with the session.')
    .option('--direct', 'Send the bytes straight to storage (presigned URL), not through the API.')
    .action(action(() => import('./commands/encode.js')))
    .addHelpText(
      'after',
      examples(
        'face-encode encode selfie.jpg',
        'face-encode encode front.jpg left.jpg right.jpg',
        'face-encode encode *.jpg --json > summary.json',
        'face-encode encode front.jpg side.jpg --direct',
      ),
    );

  program
    .command('compare')
    .description('Tell whether two selfies show the same person, with their distance.')
    .argument('<a>', 'first image')
    .argument('<b>', 'second image')
    .option('--max-file-mb <mb>', 'Refuse files larger than this, locally.', positiveNumber, 8)
    .action(action(() => import('./commands/compare.js')))
    .addHelpText(
      'after',
      examples('face-encode compare me.jpg passport.jpg', 'face-encode compare a.png b.png --json'),
    );

  program
    .command('completion')
    .description('Print a shell completion script.')
    .addArgument(
      new Command().createArgument('<shell>', 'bash, zsh or fish').choices(['bash', 'zsh', 'fish']),
    )
    .action(action(() => import('./commands/completion.js')))
    .addHelpText(
      'after',
      examples(
        'face-encode completion bash > ~/.local/share/bash-completion/completions/face-encode',
        'face-encode completion zsh > "${fpath[1]}/_face-encode"',
        'face-encode completion fish > ~/.config/fish/completions/face-encode.fish',
      ),
    );

  return program;
}
