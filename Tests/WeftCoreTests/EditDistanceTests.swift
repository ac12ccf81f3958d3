import Testing
import WeftCore

/// The one edit distance behind every "did you mean".
@Suite("Edit distance")
struct EditDistanceTests {
    @Test func levenshtein() {
        #expect(EditDistance.distance("", "abc") == 3)
        #expect(EditDistance.distance("kitten", "sitting") == 3)
        #expect(EditDistance.distance("std.add", "std.add") == 0)
        #expect(EditDistance.distance("reslt", "result") == 1)
        #expect(EditDistance.distance("ab", "ba") == 2, "a swap is two edits by default")
        #expect(EditDistance.distance("Int", "int") == 1, "case counts by default")
    }

    @Test func swapsAndCase() {
        #expect(EditDistance.distance("ab", "ba", swapIsOneEdit: true) == 1)
        #expect(EditDistance.distance("unsinged", "unsigned", swapIsOneEdit: true) == 1)
        #expect(EditDistance.distance("DOUBEL", "double", ignoringCase: true, swapIsOneEdit: true) == 1)
        #expect(EditDistance.distance("ca", "abc", swapIsOneEdit: true) == 3, "optimal string alignment, not full Damerau")
    }
}
