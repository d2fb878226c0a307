import type { Command } from 'commander';

export type Shell = 'bash' | 'zsh' | 'fish';

interface Node {
  path: string[];
  description: string;
  options: { flag: string; description: string }[];
  children: Node[];
}

function walk(command: Command, path: string[]): Node {
  return {
    path,
    description: command.description(),
    options: command.options.flatMap((o) => (o.long ? [{ flag: o.long, description: o.description }] : [])),
    children: command.commands.map((c) => walk(c, [...path, c.name()])),
  };
}

function flatten(node: Node): Node[] {
  return [node, ...node.children.flatMap(flatten)];
}

const quoteFish = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

function bash(root: Node): string {
  const globals = [...new Set([...root.options.map((o) => o.flag), '--help'])];
  // Deepest paths first so `session create` wins over `session`.
  const nodes = flatten(root)
    .filter((n) => n.path.length > 0)
    .sort((a, b) => b.path.length - a.path.length);
  const cases = nodes
    .map((n) => {
      const words = [
        ...n.children.map((c) => c.path.at(-1) ?? ''),
        ...n.options.map((o) => o.flag),
        ...globals,
      ];
      return `    "${n.path.join(' ')}"*) opts="${words.join(' ')}" ;;`;
    })
    .join('\n');
  const top = [...root.children.map((c) => c.path[0] ?? ''), ...globals].join(' ');
  return `# face-encode completion for bash. Install: face-encode completion bash > ~/.local/share/bash-completion/completions/face-encode
_face_encode() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" words="" w i opts
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case "$w" in -*) ;; *) words="$words $w" ;; esac
  done
  case "\${words# }" in
${cases}
    *) opts="${top}" ;;
  esac
  COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}
complete -o default -F _face_encode face-encode
`;
}

function zsh(root: Node): string {
  return `#compdef face-encode
# face-encode completion for zsh (uses bash completion emulation).
autoload -U +X bashcompinit && bashcompinit
${bash(root)}`;
}

function fish(root: Node): string {
  const lines = [
    '# face-encode completion for fish. Install: face-encode completion fish > ~/.config/fish/completions/face-encode.fish',
  ];
  lines.push('complete -c face-encode -f');
  for (const o of root.options)
    lines.push(`complete -c face-encode -l ${o.flag.slice(2)} -d ${quoteFish(o.description)}`);
  for (const node of flatten(root)) {
    if (node.path.length === 0) {
      for (const c of node.children)
        lines.push(
          `complete -c face-encode -n __fish_use_subcommand -a ${c.path[0]} -d ${quoteFish(c.description)}`,
        );
      continue;
    }
    const name = node.path.at(-1) ?? '';
    const siblings = node.children.map((c) => c.path.at(-1) ?? '').join(' ');
    for (const c of node.children) {
      lines.push(
        `complete -c face-encode -n '__fish_seen_subcommand_from ${name}; and not __fish_seen_subcommand_from ${siblings}' -a ${c.path.at(-1)} -d ${quoteFish(c.description)}`,
      );
    }
    for (const o of node.options) {
      lines.push(
        `complete -c face-encode -n '__fish_seen_subcommand_from ${name}' -l ${o.flag.slice(2)} -d ${quoteFish(o.description)}`,
      );
    }
  }
  lines.push("complete -c face-encode -n '__fish_seen_subcommand_from upload encode compare' -F");
  lines.push("complete -c face-encode -n '__fish_seen_subcommand_from completion' -a 'bash zsh fish'");
  return `${lines.join('\n')}\n`;
}

/** A completion script for `shell`, generated from the command tree so it never drifts. */
export function completionScript(program: Command, shell: Shell): string {
  const root = walk(program, []);
  return shell === 'bash' ? bash(root) : shell === 'zsh' ? zsh(root) : fish(root);
}
