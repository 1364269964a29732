/** SDK reference, "Runtime concurrency update" (Electron's main process; type-checked only). */
import type { Neuron } from '@holokai/neuron-sdk';
import { powerMonitor } from 'electron'; // or any power/resource API

export function followPower(neuron: Neuron): void {
  powerMonitor.on('on-ac', async () => {
    await neuron.updateCapability({ type: 'core/script.python', concurrency: 8 });
  });

  powerMonitor.on('on-battery', async () => {
    await neuron.updateCapability({ type: 'core/script.python', concurrency: 1 });
  });
}
