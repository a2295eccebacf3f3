/** The model of a Dockerfile that every rule reads: its global ARGs and its stages, as parse-dockerfile.ts builds it. */

export interface ArgDeclaration {
  name: string;
  defaultValue?: string;
  /** 1-based line of the ARG instruction. */
  line: number;
}

/** A RUN instruction's command as written (continuations joined, flags such as `--mount` left out). */
export interface RunCommand {
  line: number;
  command: string;
}

export interface StageSource {
  instruction: 'COPY' | 'ADD' | 'RUN';
  /** Source paths as written (JSON form decoded, quotes removed, ARGs unexpanded). */
  paths: string[];
  /**
   * Set when the paths are not build-context files but come from a stage (its name, or its index
   * when unnamed), a named build context or an image.
   */
  from?: string;
  line: number;
}

export interface Stage {
  index: number;
  /** The `AS` name, lowercased: Docker matches stage names case-insensitively. */
  name?: string;
  /** The FROM operand as written, ARGs unexpanded. */
  baseImage: string;
  platform?: string;
  args: ArgDeclaration[];
  sources: StageSource[];
  runs: RunCommand[];
  /**
   * Every stage or context this stage reads, in order: FROM <stage>, COPY --from=<x>,
   * RUN --mount=...,from=<x>. A stage appears as its name (its index when unnamed);
   * anything else (a named context or an image) as written.
   */
  stageRefs: string[];
  /** The earlier stage that FROM names when the ARGs have their defaults (a build arg may name another). */
  baseRef?: string;
  /** The stages, named contexts or images the stage's `--from` flags name, resolved like `stageRefs`. */
  fromRefs: string[];
  /** 1-based, inclusive: from the FROM line to the end of the stage's last instruction. */
  startLine: number;
  endLine: number;
  /** The source text of those lines, for hashing. */
  text: string;
}

export interface DockerfileModel {
  file: string;
  escapeChar: string;
  /** The `# syntax=` directive, if any. */
  syntax?: string;
  /** ARGs declared before the first FROM. */
  globalArgs: ArgDeclaration[];
  stages: Stage[];
}
