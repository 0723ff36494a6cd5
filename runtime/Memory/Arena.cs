using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using CommunityToolkit.HighPerformance;

namespace GenDsl;

/// <summary>
/// One named tensor inside an <see cref="Arena"/>: <paramref name="Length"/> floats starting at float
/// <paramref name="Offset"/>, row-major with dimensions <paramref name="Shape"/> (outermost first).
/// </summary>
/// <remarks>The shape array belongs to the layout: read it, do not modify it.</remarks>
public readonly record struct ArenaSlice(string Name, int Offset, int Length, int[] Shape)
{
    /// <summary>Number of dimensions (0 for a scalar).</summary>
    public int Rank => Shape.Length;

    /// <summary>The index just past the slice.</summary>
    public int End => Offset + Length;

    /// <summary>For example <c>w1 [64, 2] @ 128 (128 floats)</c>.</summary>
    public override string ToString() => $"{Name} [{string.Join(", ", Shape)}] @ {Offset} ({Length} floats)";
}

/// <summary>
/// The plan of an <see cref="Arena"/>: named slices, each starting on a 64-byte boundary (a multiple of 16
/// floats), so that every tensor begins on a cache line and on a Vector512 boundary. Build it once (the
/// source generator does, at model construction), then create one or more arenas from it — the parameter
/// and gradient arenas of a model share one layout.
/// </summary>
public sealed class ArenaLayout
{
    /// <summary>Slice alignment in floats: 16 floats = 64 bytes.</summary>
    public const int AlignmentFloats = 16;

    private readonly List<ArenaSlice> _slices = [];
    private readonly Dictionary<string, int> _byName = new(StringComparer.Ordinal);

    /// <summary>
    /// Floats an arena needs: the end of the last slice rounded up to 64 bytes (so the whole arena is a
    /// whole number of cache lines; padding floats are zero).
    /// </summary>
    public int Length { get; private set; }

    /// <summary>The slices in the order they were added (increasing offsets).</summary>
    public IReadOnlyList<ArenaSlice> Slices => _slices;

    /// <summary>True once an <see cref="Arena"/> has been created from this layout; no slice can be added then.</summary>
    public bool IsFrozen { get; private set; }

    /// <summary>
    /// Appends a slice named <paramref name="name"/> with the given row-major shape (no dimensions = a
    /// scalar) and returns its offset in floats, a multiple of <see cref="AlignmentFloats"/>.
    /// </summary>
    public int Add(string name, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (string.IsNullOrWhiteSpace(name))
            throw new ArgumentException("A slice needs a non-empty name (it is how tools and tests find it).", nameof(name));
        if (IsFrozen)
            throw new InvalidOperationException(
                $"Cannot add '{name}': an Arena has already been created from this layout and its size is fixed. Add every slice before creating arenas.");
        if (_byName.ContainsKey(name))
            throw new ArgumentException($"The layout already has a slice named '{name}'; slice names must be unique.", nameof(name));
        long length = 1;
        for (int d = 0; d < shape.Length; d++)
        {
            if (shape[d] < 1)
                throw new ArgumentException(
                    $"Slice '{name}': dimension {d} of shape [{string.Join(", ", shape)}] is {shape[d]}; every dimension must be at least 1.",
                    nameof(shape));
            length *= shape[d];
            if (length > Array.MaxLength)
                break;
        }
        int offset = Length;
        long end = (long)offset + length;
        long alignedEnd = (end + AlignmentFloats - 1) / AlignmentFloats * AlignmentFloats;
        if (alignedEnd > Array.MaxLength - AlignmentFloats)
            throw new ArgumentException(
                $"Slice '{name}' of shape [{string.Join(", ", shape)}] ({length} floats) at offset {offset} would make the arena larger than one .NET array can be ({Array.MaxLength - AlignmentFloats} floats); split the model's storage or reduce MaxBatch.",
                nameof(shape));
        _byName.Add(name, _slices.Count);
        _slices.Add(new ArenaSlice(name, offset, (int)length, (int[])shape.Clone()));
        Length = (int)alignedEnd;
        return offset;
    }

    /// <summary>The slice called <paramref name="name"/>.</summary>
    public ArenaSlice this[string name] =>
        TryGetSlice(name, out var slice)
            ? slice
            : throw new ArgumentException(
                $"The layout has no slice named '{name}'. It has: {string.Join(", ", _slices.Select(s => s.Name))}.", nameof(name));

    /// <summary>Looks a slice up by name.</summary>
    public bool TryGetSlice(string name, out ArenaSlice slice)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_byName.TryGetValue(name, out int index))
        {
            slice = _slices[index];
            return true;
        }
        slice = default;
        return false;
    }

    /// <summary>True if a slice is called <paramref name="name"/>.</summary>
    public bool Contains(string name) => _byName.ContainsKey(name);

    internal void Freeze() => IsFrozen = true;
}

/// <summary>
/// A block of floats made by ONE allocation (as in llm.c): a pinned array whose first used element is
/// 64-byte aligned. Spans, <see cref="Memory"/> and the raw <see cref="Pointer"/> stay valid for the life of
/// the arena (pinned objects never move), so kernels can keep pointers into it.
/// </summary>
public sealed unsafe class Arena
{
    private const int AlignmentBytes = ArenaLayout.AlignmentFloats * sizeof(float);

    private readonly float[] _array;
    private readonly int _start; // index of the first aligned element

    /// <summary>
    /// An arena for <paramref name="layout"/> (zero-filled). The layout is frozen: it can back several arenas
    /// (parameters and gradients), but no slice can be added any more.
    /// </summary>
    public Arena(ArenaLayout layout)
        : this((layout ?? throw new ArgumentNullException(nameof(layout))).Length)
    {
        layout.Freeze();
        Layout = layout;
    }

    /// <summary>An unnamed arena of <paramref name="length"/> floats (zero-filled), 64-byte aligned.</summary>
    public Arena(int length)
    {
        if (length < 0 || length > Array.MaxLength - ArenaLayout.AlignmentFloats)
            throw new ArgumentOutOfRangeException(nameof(length), length,
                $"An arena holds 0 to {Array.MaxLength - ArenaLayout.AlignmentFloats} floats.");
        // 15 spare floats so that an aligned start always exists; the array is 4-byte aligned, so the
        // distance to the next 64-byte boundary is a whole number of floats.
        _array = GC.AllocateArray<float>(length + ArenaLayout.AlignmentFloats - 1, pinned: true);
        nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_array));
        _start = (int)((AlignmentBytes - address % AlignmentBytes) % AlignmentBytes) / sizeof(float);
        Length = length;
    }

    /// <summary>Number of floats.</summary>
    public int Length { get; }

    /// <summary>The layout the arena was made from, or null for an unnamed arena.</summary>
    public ArenaLayout? Layout { get; }

    /// <summary>All the floats.</summary>
    public Span<float> Span => new(_array, _start, Length);

    /// <summary>All the floats, as a <see cref="Memory{T}"/> (for fields, interfaces and async code).</summary>
    public Memory<float> Memory => new(_array, _start, Length);

    /// <summary>Address of element 0 (64-byte aligned). Valid for the arena's lifetime: the array is pinned.</summary>
    public float* Pointer => (float*)Unsafe.AsPointer(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_array), _start));

    /// <summary>The slice of the layout called <paramref name="name"/> (a dictionary lookup: for tests and tools, not hot loops).</summary>
    public Span<float> this[string name]
    {
        get
        {
            var slice = RequireLayout(name)[name];
            return new Span<float>(_array, _start + slice.Offset, slice.Length);
        }
    }

    /// <summary><paramref name="length"/> floats from <paramref name="offset"/>, bounds-checked.</summary>
    public Span<float> Slice(int offset, int length)
    {
        CheckRange(offset, length);
        return new Span<float>(_array, _start + offset, length);
    }

    /// <summary>The floats of <paramref name="slice"/> (a slice of this arena's layout).</summary>
    public Span<float> Slice(ArenaSlice slice) => Slice(slice.Offset, slice.Length);

    /// <summary>
    /// A row-major <paramref name="rows"/> × <paramref name="cols"/> view starting at <paramref name="offset"/>
    /// (pitch 0: rows are contiguous).
    /// </summary>
    public Span2D<float> Slice2D(int offset, int rows, int cols)
    {
        if (rows < 0)
            throw new ArgumentOutOfRangeException(nameof(rows), rows, "rows must be ≥ 0.");
        if (cols < 0)
            throw new ArgumentOutOfRangeException(nameof(cols), cols, "cols must be ≥ 0.");
        long length = (long)rows * cols;
        if (length > Length)
            throw new ArgumentException(
                $"A {rows} × {cols} view needs {length} floats but the arena has {Length}; check the shape.", nameof(rows));
        CheckRange(offset, (int)length);
        return new Span2D<float>(_array, _start + offset, rows, cols, 0);
    }

    /// <summary>
    /// The slice called <paramref name="name"/> as a matrix: the first dimension is the rows, the product of the
    /// others the columns (a vector is one row).
    /// </summary>
    public Span2D<float> Slice2D(string name)
    {
        var slice = RequireLayout(name)[name];
        int rows = slice.Rank >= 2 ? slice.Shape[0] : 1;
        return Slice2D(slice.Offset, rows, slice.Length / rows);
    }

    /// <summary>Sets every float to zero.</summary>
    public void Clear() => Span.Clear();

    private ArenaLayout RequireLayout(string name) =>
        Layout ?? throw new InvalidOperationException(
            $"This arena was created from a length, not an ArenaLayout, so it has no slice named '{name}'; use Slice(offset, length).");

    private void CheckRange(int offset, int length)
    {
        if (offset < 0 || offset > Length)
            throw new ArgumentOutOfRangeException(nameof(offset), offset,
                $"offset must be in [0, {Length}] for an arena of {Length} floats.");
        if (length < 0 || length > Length - offset)
            throw new ArgumentOutOfRangeException(nameof(length), length,
                $"offset {offset} + length {length} exceeds the arena's {Length} floats; at most {Length - offset} fit.");
    }
}
