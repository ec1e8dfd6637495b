// The runtime in one import: a workflow author depends on the `Dataflow` product and writes
// `import Dataflow` to get apps and the registry, the kernel and futures, the executors, the providers,
// the worker entry point, configuration files and monitoring. The modules behind it can also be used
// one by one (`DataflowCore` alone runs workflows on threads, with no networking).
@_exported import DataflowApps
@_exported import DataflowCore
@_exported import DataflowInterchange
@_exported import DataflowJSON
@_exported import DataflowKubernetesAPI
@_exported import DataflowMonitoring
@_exported import DataflowProviders
@_exported import DataflowStorage
@_exported import DataflowWireProtocol
@_exported import DataflowWorker
