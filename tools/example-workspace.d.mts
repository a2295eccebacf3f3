export declare const REPO_ROOT: string;
export declare const FIXTURES: string;
export declare const NX_VERSION: string;
export declare const GIT_IDENTITY: {
  readonly GIT_AUTHOR_NAME: string;
  readonly GIT_AUTHOR_EMAIL: string;
  readonly GIT_COMMITTER_NAME: string;
  readonly GIT_COMMITTER_EMAIL: string;
};
export declare function installPackedPlugin(): string;
export declare function createExampleWorkspace(options: {
  fixture: string;
  installDir: string;
  pluginOptions?: Record<string, unknown>;
}): string;
export declare function git(root: string, args: string[]): string;
export declare function nxBin(root: string): string;
