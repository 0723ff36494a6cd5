using CommunityToolkit.HighPerformance;

namespace GenDsl.Data;

/// <summary>
/// A dense, row-major table of <see cref="float"/> samples: <see cref="Rows"/> samples of
/// <see cref="Columns"/> features each, with an optional integer label per row (a class, or the
/// mixture component a toy sample came from).
/// </summary>
/// <remarks>
/// Row <c>r</c>, column <c>c</c> is <c>Data[r * Columns + c]</c>. The data set does not copy the
/// array it is given: it owns it from then on (<see cref="Data"/> hands it back, for example to
/// normalise in place).
/// </remarks>
public sealed class Dataset
{
    private readonly float[] _data;
    private readonly int[]? _labels;

    /// <summary>Wraps <paramref name="data"/> (row-major, <paramref name="rows"/> × <paramref name="columns"/>) as a data set.</summary>
    /// <param name="data">The samples, row after row; its length must be exactly <paramref name="rows"/> · <paramref name="columns"/>.</param>
    /// <param name="rows">The number of samples (≥ 0).</param>
    /// <param name="columns">The number of features per sample (≥ 1).</param>
    /// <param name="labels">One non-negative label per row, or <see langword="null"/> for unlabelled data.</param>
    /// <param name="name">A short name used in messages and file names (for example <c>"moons"</c>).</param>
    /// <exception cref="ArgumentException">The sizes do not agree, or a label is negative.</exception>
    public Dataset(float[] data, int rows, int columns, int[]? labels = null, string name = "")
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(name);
        if (rows < 0)
            throw new ArgumentOutOfRangeException(nameof(rows), rows, "The number of rows must be 0 or more.");
        if (columns < 1)
            throw new ArgumentOutOfRangeException(nameof(columns), columns, "The number of columns must be at least 1.");
        if ((long)rows * columns != data.Length)
            throw new ArgumentException(
                $"data has {data.Length} values but rows × columns = {rows} × {columns} = {(long)rows * columns}; " +
                "pass an array of exactly rows · columns values (row-major).", nameof(data));
        if (labels is not null)
        {
            if (labels.Length != rows)
                throw new ArgumentException(
                    $"labels has {labels.Length} entries but the data has {rows} rows; pass one label per row, or null.",
                    nameof(labels));
            int max = -1;
            for (int i = 0; i < labels.Length; i++)
            {
                if (labels[i] < 0)
                    throw new ArgumentException(
                        $"labels[{i}] is {labels[i]}; labels must be non-negative integers (class or component indices).",
                        nameof(labels));
                if (labels[i] > max)
                    max = labels[i];
            }
            ClassCount = max + 1;
        }
        _data = data;
        _labels = labels;
        Rows = rows;
        Columns = columns;
        Name = name;
    }

    /// <summary>The number of samples.</summary>
    public int Rows { get; }

    /// <summary>The number of features per sample.</summary>
    public int Columns { get; }

    /// <summary>A short name for messages and file names (may be empty).</summary>
    public string Name { get; }

    /// <summary>The backing array, row-major (not a copy: writes change the data set).</summary>
    public float[] Data => _data;

    /// <summary>True when every row has a label.</summary>
    public bool HasLabels => _labels is not null;

    /// <summary>One label per row, or an empty span when the data set is unlabelled.</summary>
    public ReadOnlySpan<int> Labels => _labels;

    /// <summary>The largest label plus one (0 when unlabelled): the number of classes a one-hot encoding needs.</summary>
    public int ClassCount { get; }

    /// <summary>The whole table as a <see cref="Rows"/> × <see cref="Columns"/> view.</summary>
    public ReadOnlySpan2D<float> AsSpan2D() => new(_data, Rows, Columns);

    /// <summary>One row (sample) as a span of <see cref="Columns"/> values.</summary>
    public ReadOnlySpan<float> Row(int row)
    {
        if ((uint)row >= (uint)Rows)
            throw new ArgumentOutOfRangeException(nameof(row), row, $"The data set has {Rows} rows (0 … {Rows - 1}).");
        return new ReadOnlySpan<float>(_data, row * Columns, Columns);
    }

    /// <summary>
    /// The rows <paramref name="start"/> … <paramref name="start"/> + <paramref name="count"/> − 1 as a view (no copy).
    /// </summary>
    /// <remarks>
    /// Named <c>GetRows</c> rather than <c>Rows</c> because C# does not allow a method and the
    /// <see cref="Rows"/> property to share a name.
    /// </remarks>
    public ReadOnlySpan2D<float> GetRows(int start, int count)
    {
        if (start < 0 || count < 0 || (long)start + count > Rows)
            throw new ArgumentOutOfRangeException(nameof(count),
                $"Rows {start} … {(long)start + count - 1} (start {start}, count {count}) are not inside the data set's {Rows} rows; " +
                "choose 0 ≤ start and start + count ≤ Rows.");
        if (count == 0)
            return ReadOnlySpan2D<float>.Empty;
        return new ReadOnlySpan2D<float>(_data, start * Columns, count, Columns, 0);
    }

    /// <summary>
    /// Gathers the rows listed in <paramref name="rowIndices"/> into <paramref name="destination"/>
    /// (row <c>i</c> of the destination receives row <c>rowIndices[i]</c>). Allocates nothing.
    /// </summary>
    /// <exception cref="ArgumentException">The destination's shape is not rowIndices.Length × Columns, or an index is out of range.</exception>
    public void CopyBatch(ReadOnlySpan<int> rowIndices, Span2D<float> destination)
    {
        if (destination.Height != rowIndices.Length || destination.Width != Columns)
            throw new ArgumentException(
                $"destination is {destination.Height} × {destination.Width} but {rowIndices.Length} rows of {Columns} columns were asked for; " +
                $"pass a {rowIndices.Length} × {Columns} destination.", nameof(destination));
        for (int i = 0; i < rowIndices.Length; i++)
        {
            int r = rowIndices[i];
            if ((uint)r >= (uint)Rows)
                throw new ArgumentOutOfRangeException(nameof(rowIndices),
                    $"rowIndices[{i}] is {r} but the data set has {Rows} rows (0 … {Rows - 1}).");
            new ReadOnlySpan<float>(_data, r * Columns, Columns).CopyTo(destination.GetRowSpan(i));
        }
    }

    /// <summary>A new data set holding copies of the listed rows (and their labels), in the order given.</summary>
    public Dataset Subset(ReadOnlySpan<int> rowIndices, string? name = null)
    {
        var data = new float[(long)rowIndices.Length * Columns];
        CopyBatch(rowIndices, new Span2D<float>(data, rowIndices.Length, Columns));
        int[]? labels = null;
        if (_labels is not null)
        {
            labels = new int[rowIndices.Length];
            for (int i = 0; i < labels.Length; i++)
                labels[i] = _labels[rowIndices[i]];
        }
        return new Dataset(data, rowIndices.Length, Columns, labels, name ?? Name);
    }

    /// <summary>
    /// Splits the rows at random into a training and a test set. The test set receives
    /// round(<paramref name="testFraction"/> · Rows) rows chosen uniformly (a seeded Fisher–Yates
    /// shuffle); both parts keep the rows in their original relative order. Same seed → same split.
    /// </summary>
    /// <param name="testFraction">The share of rows for the test set, strictly between 0 and 1.</param>
    /// <param name="seed">The seed of the shuffle.</param>
    /// <exception cref="ArgumentException">The fraction is outside (0, 1) or would leave either part empty.</exception>
    public (Dataset train, Dataset test) Split(double testFraction, ulong seed)
    {
        if (!(testFraction > 0 && testFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(testFraction), testFraction,
                "testFraction must be strictly between 0 and 1 (for example 0.2 for a 80/20 split).");
        int testCount = (int)Math.Round(testFraction * Rows, MidpointRounding.AwayFromZero);
        if (testCount < 1 || testCount > Rows - 1)
            throw new ArgumentException(
                $"A test fraction of {testFraction} of {Rows} rows gives {testCount} test rows and {Rows - testCount} training rows; " +
                "both parts need at least one row: choose another fraction or a larger data set.", nameof(testFraction));

        var order = new int[Rows];
        for (int i = 0; i < order.Length; i++)
            order[i] = i;
        new DataRandom(seed).Shuffle(order);

        // Mark the first testCount shuffled rows as test rows, then collect both parts in row order.
        var isTest = new bool[Rows];
        for (int i = 0; i < testCount; i++)
            isTest[order[i]] = true;
        var trainRows = new int[Rows - testCount];
        var testRows = new int[testCount];
        int nTrain = 0, nTest = 0;
        for (int r = 0; r < Rows; r++)
        {
            if (isTest[r])
                testRows[nTest++] = r;
            else
                trainRows[nTrain++] = r;
        }
        string prefix = Name.Length == 0 ? "" : Name + "-";
        return (Subset(trainRows, prefix + "train"), Subset(testRows, prefix + "test"));
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"{(Name.Length == 0 ? "Dataset" : Name)}: {Rows} × {Columns}{(HasLabels ? $", {ClassCount} classes" : "")}";
}
