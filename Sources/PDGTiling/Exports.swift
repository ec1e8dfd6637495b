// Tiling's configuration types expose JSON values (palettes, z_config, keys kept as written).
@_exported import DataflowJSON
