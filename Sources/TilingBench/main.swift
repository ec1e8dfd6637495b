print("tiling-bench")
