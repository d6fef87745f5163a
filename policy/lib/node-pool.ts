// What a node pool offers pods: the VM size's vCPUs and memory, minus what AKS reserves on every node. An estimate:
// the real figure is `kubectl get node <node> -o jsonpath='{.status.allocatable}'` (the OS also keeps a little of the
// VM's memory, so a node shows slightly less than this).

/** vCPUs and memory (GiB) of the Azure VM sizes the stacks use and the common D/E series (sizes pages on learn.microsoft.com). */
export const VM_SIZES_SOURCE = "https://learn.microsoft.com/azure/virtual-machines/sizes/overview";
export const VM_SIZES: Readonly<Record<string, { vcpus: number; memoryGiB: number }>> = {
  // Dsv5 / Ddsv5 (general purpose, 4 GiB per vCPU)
  Standard_D2s_v5: { vcpus: 2, memoryGiB: 8 },
  Standard_D4s_v5: { vcpus: 4, memoryGiB: 16 },
  Standard_D8s_v5: { vcpus: 8, memoryGiB: 32 },
  Standard_D16s_v5: { vcpus: 16, memoryGiB: 64 },
  Standard_D32s_v5: { vcpus: 32, memoryGiB: 128 },
  Standard_D2ds_v5: { vcpus: 2, memoryGiB: 8 },
  Standard_D4ds_v5: { vcpus: 4, memoryGiB: 16 },
  Standard_D8ds_v5: { vcpus: 8, memoryGiB: 32 },
  Standard_D16ds_v5: { vcpus: 16, memoryGiB: 64 },
  // Dasv5 (AMD)
  Standard_D2as_v5: { vcpus: 2, memoryGiB: 8 },
  Standard_D4as_v5: { vcpus: 4, memoryGiB: 16 },
  Standard_D8as_v5: { vcpus: 8, memoryGiB: 32 },
  Standard_D16as_v5: { vcpus: 16, memoryGiB: 64 },
  // Dsv3 (the AKS default of older clusters)
  Standard_D2s_v3: { vcpus: 2, memoryGiB: 8 },
  Standard_D4s_v3: { vcpus: 4, memoryGiB: 16 },
  Standard_D8s_v3: { vcpus: 8, memoryGiB: 32 },
  Standard_D16s_v3: { vcpus: 16, memoryGiB: 64 },
  // DSv2
  Standard_DS2_v2: { vcpus: 2, memoryGiB: 7 },
  Standard_DS3_v2: { vcpus: 4, memoryGiB: 14 },
  Standard_DS4_v2: { vcpus: 8, memoryGiB: 28 },
  // Esv5 / Esv3 (memory optimised, 8 GiB per vCPU)
  Standard_E2s_v5: { vcpus: 2, memoryGiB: 16 },
  Standard_E4s_v5: { vcpus: 4, memoryGiB: 32 },
  Standard_E8s_v5: { vcpus: 8, memoryGiB: 64 },
  Standard_E16s_v5: { vcpus: 16, memoryGiB: 128 },
  Standard_E2s_v3: { vcpus: 2, memoryGiB: 16 },
  Standard_E4s_v3: { vcpus: 4, memoryGiB: 32 },
  Standard_E8s_v3: { vcpus: 8, memoryGiB: 64 },
  Standard_E16s_v3: { vcpus: 16, memoryGiB: 128 },
};

/** Microsoft's page on AKS's node reservations; every figure below is read from it. */
export const AKS_RESERVATIONS_SOURCE = "https://learn.microsoft.com/azure/aks/node-resource-reservations";

/** kube-reserved CPU (millicores) by the node's core count (the page's table). */
const KUBE_RESERVED_CPU: Readonly<Record<number, number>> = {
  1: 60,
  2: 100,
  4: 140,
  8: 180,
  16: 260,
  32: 420,
  64: 740,
};

/** Max pods per node AKS sets when the pool does not say: Azure CNI Overlay's default (the created cluster's plugin). */
export const AZURE_CNI_OVERLAY_DEFAULT_MAX_PODS = 250;

export interface NodePool {
  vmSize: string;
  count: number;
  /** Max pods per node (maxPods of the pool); AKS 1.29+ reserves memory by it. */
  maxPods: number;
  /** The cluster's Kubernetes version; the memory reservation changed with 1.29. Undefined when not known. */
  kubernetesVersion?: string;
}

export interface Allocatable {
  /** Per node, millicores and MiB. */
  perNode: { cpuMillis: number; memoryMiB: number };
  /** The whole pool (per node times count). */
  pool: { cpuMillis: number; memoryMiB: number };
  /** What was taken off each node, and why. */
  reserved: { cpuMillis: number; kubeReservedMiB: number; evictionMiB: number };
  /** How the estimate was made, in one sentence. */
  method: string;
}

/** "1.32.7" or "1.32" -> 32 when the major is 1; undefined otherwise. */
function minor(version: string | undefined): number | undefined {
  const m = /^v?1\.([0-9]+)/.exec(version ?? "");
  return m ? Number(m[1]) : undefined;
}

/** Before 1.29: 25% of the first 4 GB, 20% of the next 4, 10% of the next 8, 6% of the next 112, 2% above 128. */
function regressiveMiB(totalMiB: number): number {
  const tiers: [number, number][] = [
    [4 * 1024, 0.25],
    [4 * 1024, 0.2],
    [8 * 1024, 0.1],
    [112 * 1024, 0.06],
    [Number.POSITIVE_INFINITY, 0.02],
  ];
  let left = totalMiB;
  let reserved = 0;
  for (const [size, rate] of tiers) {
    const part = Math.min(left, size);
    reserved += part * rate;
    left -= part;
    if (left <= 0) break;
  }
  return reserved;
}

/**
 * A node pool's allocatable CPU and memory as AKS reserves it, or why it cannot be estimated (a VM size outside the
 * table, a core count the reservation table does not list).
 */
export function allocatable(pool: NodePool): Allocatable | string {
  const size = VM_SIZES[pool.vmSize];
  if (!size) {
    return `VM size ${pool.vmSize} is not in the table of sizes (policy/lib/node-pool.ts VM_SIZES); add it from ${VM_SIZES_SOURCE}`;
  }
  const cpuReserved = KUBE_RESERVED_CPU[size.vcpus];
  if (cpuReserved === undefined) return `AKS's CPU reservation table has no row for ${size.vcpus} cores`;
  const totalMiB = size.memoryGiB * 1024;
  const k = minor(pool.kubernetesVersion);
  // An unknown version is read as a current one (AKS offers no version before 1.29 any more).
  const modern = k === undefined || k >= 29;
  const kubeReservedMiB = modern ? Math.min(20 * pool.maxPods + 50, 0.25 * totalMiB) : regressiveMiB(totalMiB);
  const evictionMiB = modern ? 100 : 750;
  const perNode = {
    cpuMillis: size.vcpus * 1000 - cpuReserved,
    memoryMiB: Math.round(totalMiB - kubeReservedMiB - evictionMiB),
  };
  const version = pool.kubernetesVersion
    ? `Kubernetes ${pool.kubernetesVersion}`
    : "Kubernetes version unknown, read as 1.29+";
  const memoryRule = modern
    ? `memory minus kube-reserved min(20 MiB x ${pool.maxPods} max pods + 50 MiB, 25% of memory) and the 100 MiB eviction threshold`
    : "memory minus the regressive kube-reserved (25/20/10/6/2%) and the 750 MiB eviction threshold";
  return {
    perNode,
    pool: { cpuMillis: perNode.cpuMillis * pool.count, memoryMiB: perNode.memoryMiB * pool.count },
    reserved: { cpuMillis: cpuReserved, kubeReservedMiB: Math.round(kubeReservedMiB), evictionMiB },
    method:
      `${pool.count} x ${pool.vmSize} (${size.vcpus} vCPU, ${size.memoryGiB} GiB; ${VM_SIZES_SOURCE}); per node: ` +
      `vCPUs minus kube-reserved CPU ${cpuReserved}m, ${memoryRule} (${version}; ${AKS_RESERVATIONS_SOURCE})`,
  };
}
