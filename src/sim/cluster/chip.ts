// The devices of the Siracusa cluster besides the event unit and MCHAN (which the cluster builds
// itself): what `new Cluster` attaches unless ClusterOptions.devices says otherwise. The cluster
// sees them only through the ClusterDevice interface (device.ts).
import type { ClusterDeviceFactory } from './device.js';
import { neurekaDevice } from '../../../npu-model/device.js';
import { profileMarkerDevice } from './layer-marks.js';

/** The NPU, and the simulator-only profile marker (layer-marks.ts). */
export const chipDevices: readonly ClusterDeviceFactory[] = [neurekaDevice, profileMarkerDevice];
