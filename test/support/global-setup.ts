/** Jest global setup: the converted bundled model exists (as after `npm ci`), once per run. */
import { prepareDefaultModel } from '../../tools/model/prepare-default-model';

export default async function globalSetup(): Promise<void> {
  await prepareDefaultModel();
}
