import Foundation

/// Buffered random reads of a file through `pread`: a window of at least 1 MiB that moves forward as a sequential
/// reader asks for bytes past it, so memory stays bounded for inputs of any size.
final class FileWindow {
    let path: String
    let size: Int
    private let descriptor: Int32
    private var buffer: UnsafeMutableRawBufferPointer
    private var start = 0
    private var count = 0

    private static let minimumWindow = 1 << 20

    init(path: String) throws(TilingError) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw TilingError(.inputUnreadable, "\(path): cannot open: \(String(cString: strerror(errno)))")
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            close(descriptor)
            throw TilingError(.inputUnreadable, "\(path): cannot stat: \(String(cString: strerror(errno)))")
        }
        self.path = path
        self.descriptor = descriptor
        size = Int(status.st_size)
        buffer = .allocate(byteCount: Self.minimumWindow, alignment: 16)
    }

    deinit {
        buffer.deallocate()
        close(descriptor)
    }

    /// `count` bytes at `offset`, valid until the next call.
    func bytes(at offset: Int, count wanted: Int) throws(TilingError) -> UnsafeRawBufferPointer {
        guard offset >= 0, wanted >= 0, offset + wanted <= size else {
            throw TilingError(.inputUnreadable, "\(path): truncated (\(wanted) bytes at \(offset) past the end at \(size))")
        }
        if offset < start || offset + wanted > start + count {
            try fill(from: offset, atLeast: wanted)
        }
        return UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[(offset - start)..<(offset - start + wanted)])
    }

    private func fill(from offset: Int, atLeast wanted: Int) throws(TilingError) {
        let length = min(max(wanted, Self.minimumWindow), size - offset)
        if length > buffer.count {
            buffer.deallocate()
            buffer = .allocate(byteCount: length, alignment: 16)
        }
        var done = 0
        while done < length {
            let result = pread(descriptor, buffer.baseAddress! + done, length - done, off_t(offset + done))
            if result < 0, errno == EINTR { continue }
            guard result > 0 else {
                count = 0
                throw TilingError(.inputUnreadable, "\(path): read error at \(offset + done): \(String(cString: strerror(errno)))")
            }
            done += result
        }
        start = offset
        count = length
    }
}
