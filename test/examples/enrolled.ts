/** A credential file enrolled with a dev gateway whose identity provider approves at once. */
import { enroll } from '@holokai/neuron-sdk/auth';
import type { DevGateway } from '@holokai/neuron-sdk/dev-gateway';

export async function enrollAt(gw: DevGateway, credentialsFile: string, name: string) {
  return enroll({
    mokuUrl: gw.identity?.issuer ?? '',
    name,
    credentialsFile,
    onVerification: () => {},
    // The dev gateway asks for 1 s between polls; 10 ms keeps the test short.
    pollIntervalScale: 0.01,
  });
}
