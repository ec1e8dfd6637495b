@_exported import Apps
@_exported import enum Monitoring.TaskState
@_exported import JSONValues
