/** A Dockerfile that Docker would reject, or that we cannot model; the message names the file and line. */
export class DockerfileError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly reason: string,
  ) {
    super(line === undefined ? `${file}: ${reason}` : `${file}:${line}: ${reason}`);
    this.name = 'DockerfileError';
  }
}
