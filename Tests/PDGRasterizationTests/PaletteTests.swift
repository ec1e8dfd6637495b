import PDGRasterization
import Testing

@Suite("Palette and colour conversion (coloraide 0.10 semantics)")
struct PaletteTests {
    static func color(_ palette: Palette, _ index: Int) -> [UInt8] { Array(palette.rgba[(index * 4)..<(index * 4 + 4)]) }

    @Test("Black → white ramp is perceptual (LCh), spec §10.1 worked examples")
    func greyRamp() throws {
        let palette = try Palette(colors: ["black", "white"], nodataColor: nil)
        #expect(Self.color(palette, 127) == [117, 117, 117, 255])
        #expect(Self.color(palette, 255) == [253, 253, 253, 255])
        #expect(Self.color(palette, 0) == [0, 0, 0, 255])
        #expect(Self.color(palette, 256) == [255, 255, 255, 0])
    }

    @Test("Example coverage palette with a transparent stop and an out-of-gamut LCh stop")
    func coveragePalette() throws {
        let palette = try Palette(colors: ["rgb(102 51 153 / 0.1)", "lch(85% 100 85)"], nodataColor: "#ffffff00")
        #expect(Self.color(palette, 0) == [102, 51, 153, 25])
        #expect(Self.color(palette, 1) == [103, 50, 153, 26])
        #expect(Self.color(palette, 8) == [114, 49, 154, 32])
        #expect(Self.color(palette, 40) == [163, 40, 152, 61])
        #expect(Self.color(palette, 255) == [255, 203, 0, 254])
    }

    @Test(
        "CSS colour syntaxes",
        arguments: [
            ("#66339952", [102, 51, 153, 82]), ("#f00", [255, 0, 0, 255]), ("rebeccapurple", [102, 51, 153, 255]),
            ("rgb(102, 51, 153)", [102, 51, 153, 255]), ("rgba(100%, 0%, 0%, 0.5)", [255, 0, 0, 127]),
            ("hsl(120 100% 50%)", [0, 255, 0, 255]), ("transparent", [0, 0, 0, 0]),
        ])
    func cssSyntaxes(text: String, expected: [Int]) throws {
        let palette = try Palette(colors: [text], nodataColor: text)
        #expect(Self.color(palette, 256).map(Int.init) == expected)
    }

    @Test("Unknown colours and colormap names are reported, naming the colour")
    func invalidColours() {
        #expect(throws: RasterizationError.self) { try Palette(colors: ["notacolour"], nodataColor: nil) }
        #expect(throws: RasterizationError.self) { try Palette(colors: ["rgb(1 2)"], nodataColor: nil) }
    }
}
