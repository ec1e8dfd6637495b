@_exported import DataflowApps
@_exported import enum DataflowMonitoring.TaskState
@_exported import DataflowJSON