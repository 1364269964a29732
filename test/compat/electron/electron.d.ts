/**
 * The few Electron APIs the reference's examples use, typed as Electron types them, so that those
 * examples type-check here without Electron installed (the SDK does not depend on it).
 */
declare module 'electron' {
  export interface IpcRendererEvent {
    sender: unknown;
  }

  export const contextBridge: {
    // biome-ignore lint/suspicious/noExplicitAny: Electron's own type
    exposeInMainWorld(apiKey: string, api: any): void;
  };

  export const ipcRenderer: {
    // biome-ignore lint/suspicious/noExplicitAny: Electron's own type
    invoke(channel: string, ...args: any[]): Promise<any>;
    // biome-ignore lint/suspicious/noExplicitAny: Electron's own type
    on(channel: string, listener: (event: IpcRendererEvent, ...args: any[]) => void): unknown;
    // biome-ignore lint/suspicious/noExplicitAny: Electron's own type
    off(channel: string, listener: (event: IpcRendererEvent, ...args: any[]) => void): unknown;
  };

  export const powerMonitor: {
    on(event: 'on-ac' | 'on-battery', listener: () => void): unknown;
  };
}
