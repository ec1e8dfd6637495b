import Testing

@testable import Tiling
