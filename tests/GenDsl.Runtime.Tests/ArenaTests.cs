namespace GenDsl.Runtime.Tests;

public unsafe class ArenaTests
{
    private static ArenaLayout SampleLayout()
    {
        var layout = new ArenaLayout();
        layout.Add("w1", 64, 2);
        layout.Add("b1", 64);
        layout.Add("w2", 3, 17);
        layout.Add("scale"); // a scalar
        layout.Add("big", 5, 7, 11);
        return layout;
    }

    [Fact]
    public void OffsetsAreAlignedAndSlicesDoNotOverlap()
    {
        var layout = SampleLayout();
        Assert.Equal(["w1", "b1", "w2", "scale", "big"], layout.Slices.Select(s => s.Name));
        Assert.Equal([128, 64, 51, 1, 385], layout.Slices.Select(s => s.Length));
        int previousEnd = 0;
        foreach (var s in layout.Slices)
        {
            Assert.Equal(0, s.Offset % 16);
            Assert.True(s.Offset >= previousEnd, $"{s} overlaps the previous slice ending at {previousEnd}");
            Assert.True(s.Offset - previousEnd < 16, $"{s} leaves more padding than alignment needs");
            previousEnd = s.End;
        }
        Assert.Equal(0, layout.Length % 16);
        Assert.InRange(layout.Length, previousEnd, previousEnd + 15);
        Assert.Equal([5, 7, 11], layout["big"].Shape);
        Assert.Equal(0, layout["scale"].Rank);
        Assert.True(layout.Contains("w2"));
        Assert.False(layout.TryGetSlice("nope", out _));
        Assert.Equal("w2 [3, 17] @ 192 (51 floats)", layout["w2"].ToString());
    }

    [Fact]
    public void AddCopiesTheShape()
    {
        var layout = new ArenaLayout();
        int[] shape = [4, 5];
        layout.Add("x", shape);
        shape[0] = 100;
        Assert.Equal([4, 5], layout["x"].Shape);
        Assert.Equal(20, layout["x"].Length);
    }

    [Fact]
    public void EverySliceAddressIs64ByteAligned()
    {
        // Several arenas, so that different GC placements are exercised.
        for (int trial = 0; trial < 20; trial++)
        {
            var arena = new Arena(SampleLayout());
            Assert.Equal(0, (long)arena.Pointer % 64);
            foreach (var s in arena.Layout!.Slices)
            {
                fixed (float* p = arena[s.Name])
                    Assert.Equal(0, (long)p % 64);
                fixed (float* p = arena.Slice(s))
                    Assert.True(p == arena.Pointer + s.Offset);
            }
            var unnamed = new Arena(trial * 7 + 1);
            Assert.Equal(0, (long)unnamed.Pointer % 64);
            fixed (float* p = unnamed.Span)
                Assert.True(p == unnamed.Pointer);
            _ = new byte[trial * 13 + 5]; // shift later allocations
        }
    }

    [Fact]
    public void NamedSlicesViewTheRightFloats()
    {
        var arena = new Arena(SampleLayout());
        Assert.Equal(arena.Layout!.Length, arena.Length);
        foreach (var s in arena.Layout.Slices)
        {
            var span = arena[s.Name];
            Assert.Equal(s.Length, span.Length);
            span.Fill(s.Offset + 0.5f);
        }
        // Writing every slice touched exactly its own floats; padding stayed zero.
        var all = arena.Span;
        for (int i = 0; i < all.Length; i++)
        {
            var owner = arena.Layout.Slices.Where(s => i >= s.Offset && i < s.End).ToList();
            Assert.True(owner.Count <= 1);
            Assert.Equal(owner.Count == 1 ? owner[0].Offset + 0.5f : 0f, all[i]);
        }
        Assert.Equal(arena.Span.ToArray(), arena.Memory.ToArray());
        var w2 = arena.Slice2D("w2");
        Assert.Equal(3, w2.Height);
        Assert.Equal(17, w2.Width);
        Assert.Equal(192.5f, w2[2, 16]);
        var big = arena.Slice2D("big");
        Assert.Equal(5, big.Height);
        Assert.Equal(77, big.Width);
        var b1 = arena.Slice2D("b1");
        Assert.Equal(1, b1.Height);
        Assert.Equal(64, b1.Width);
        var raw = arena.Slice2D(arena.Layout["w1"].Offset, 64, 2);
        raw[63, 1] = -1f;
        Assert.Equal(-1f, arena["w1"][127]);
    }

    [Fact]
    public void ClearZeroesEverything()
    {
        var arena = new Arena(SampleLayout());
        arena.Span.Fill(3f);
        arena.Clear();
        Assert.All(arena.Span.ToArray(), x => Assert.Equal(0f, x));
        var unnamed = new Arena(33);
        unnamed.Span.Fill(1f);
        unnamed.Clear();
        Assert.All(unnamed.Span.ToArray(), x => Assert.Equal(0f, x));
    }

    [Fact]
    public void EmptyArenasWork()
    {
        var empty = new Arena(0);
        Assert.Equal(0, empty.Span.Length);
        Assert.Equal(0, (long)empty.Pointer % 64);
        var emptyLayout = new Arena(new ArenaLayout());
        Assert.Equal(0, emptyLayout.Length);
        empty.Clear();
    }

    [Fact]
    public void LayoutArgumentsAreValidated()
    {
        var layout = new ArenaLayout();
        layout.Add("a", 3);
        Assert.Equal("name", Assert.Throws<ArgumentException>(() => layout.Add("a", 4)).ParamName);
        Assert.Equal("name", Assert.Throws<ArgumentException>(() => layout.Add("", 4)).ParamName);
        var zero = Assert.Throws<ArgumentException>(() => layout.Add("z", 3, 0));
        Assert.Equal("shape", zero.ParamName);
        Assert.Contains("dimension 1", zero.Message);
        Assert.Equal("shape", Assert.Throws<ArgumentException>(() => layout.Add("n", -2)).ParamName);
        var huge = Assert.Throws<ArgumentException>(() => layout.Add("huge", 65536, 65536));
        Assert.Equal("shape", huge.ParamName);
        Assert.Equal(16, layout.Length); // failed adds changed nothing
        Assert.Single(layout.Slices);
        Assert.Equal("name", Assert.Throws<ArgumentException>(() => layout["missing"]).ParamName);

        _ = new Arena(layout);
        Assert.True(layout.IsFrozen);
        Assert.Throws<InvalidOperationException>(() => layout.Add("late", 1));
        var shared = new Arena(layout); // a frozen layout can back more arenas (parameters and gradients)
        Assert.Equal(16, shared.Length);
    }

    [Fact]
    public void ArenaArgumentsAreValidated()
    {
        Assert.Equal("length", Assert.Throws<ArgumentOutOfRangeException>(() => new Arena(-1)).ParamName);
        Assert.Throws<ArgumentNullException>(() => new Arena((ArenaLayout)null!));
        var arena = new Arena(SampleLayout());
        Assert.Equal("offset", Assert.Throws<ArgumentOutOfRangeException>(() => arena.Slice(-1, 2)).ParamName);
        Assert.Equal("offset", Assert.Throws<ArgumentOutOfRangeException>(() => arena.Slice(arena.Length + 1, 0)).ParamName);
        Assert.Equal("length", Assert.Throws<ArgumentOutOfRangeException>(() => arena.Slice(10, arena.Length)).ParamName);
        Assert.Equal(0, arena.Slice(arena.Length, 0).Length);
        Assert.Equal("rows", Assert.Throws<ArgumentOutOfRangeException>(() => arena.Slice2D(0, -1, 3)).ParamName);
        Assert.Equal("cols", Assert.Throws<ArgumentOutOfRangeException>(() => arena.Slice2D(0, 3, -1)).ParamName);
        Assert.Equal("length", Assert.Throws<ArgumentOutOfRangeException>(() => arena.Slice2D(arena.Length - 5, 2, 3)).ParamName);
        Assert.Equal("rows", Assert.Throws<ArgumentException>(() => arena.Slice2D(0, 100_000, 100_000)).ParamName);
        Assert.Equal("name", Assert.Throws<ArgumentException>(() => arena["missing"].Length).ParamName);
        Assert.Throws<InvalidOperationException>(() => new Arena(10)["w1"].Length);
    }
}
