@_exported import DataflowApps
@_exported import DataflowJSON

@_exported import enum DataflowMonitoring.TaskState
