// Validation's graph structure: the forward adjacency lists and the cycle search.

extension Validation {
    /// Successor lists of the forward graph, flattened: node `n`'s are
    /// `items[start[n]..<start[n + 1]]`, in edge order. (The same layout as
    /// the scheduler's `FlatLists`; sharing that type across the module
    /// boundary cost the run loop ~20 ns per node, measured, so each module
    /// keeps its own.)
    struct Adjacency {
        let start: [Int32]
        let items: [Int32]
        var count: Int { start.count - 1 }
        func count(_ n: Int) -> Int { Int(start[n + 1] - start[n]) }
        func item(_ n: Int, _ k: Int) -> Int { Int(items[Int(start[n]) + k]) }
        func forEach(_ n: Int, _ body: (Int) -> Void) {
            for i in Int(start[n])..<Int(start[n + 1]) { body(Int(items[i])) }
        }
    }

    /// A cycle in `adjacency` (node indices in order), or nil.
    static func findCycle(_ adjacency: Adjacency) -> [Int]? {
        var state = [UInt8](repeating: 0, count: adjacency.count)  // 0 new, 1 on stack, 2 done
        var parent = [Int](repeating: -1, count: adjacency.count)
        for start in 0..<adjacency.count where state[start] == 0 {
            var stack: [(node: Int, next: Int)] = [(start, 0)]
            state[start] = 1
            while let top = stack.last {
                let n = top.node
                if top.next < adjacency.count(n) {
                    stack[stack.count - 1].next += 1
                    let m = adjacency.item(n, top.next)
                    if state[m] == 1 {
                        var cycle = [m]
                        var x = n
                        while x != m && x >= 0 { cycle.insert(x, at: 1); x = parent[x] }
                        return cycle
                    }
                    if state[m] == 0 {
                        state[m] = 1
                        parent[m] = n
                        stack.append((m, 0))
                    }
                } else {
                    state[n] = 2
                    stack.removeLast()
                }
            }
        }
        return nil
    }
}
