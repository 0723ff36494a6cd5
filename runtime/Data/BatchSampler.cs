using CommunityToolkit.HighPerformance;

namespace GenDsl.Data;

/// <summary>
/// Hands out mini-batches of a <see cref="Dataset"/> epoch after epoch. Each epoch visits every row
/// exactly once, in an order drawn by a seeded Fisher–Yates shuffle (reshuffled at the start of
/// every epoch); the rows are copied into a buffer the sampler owns, so <see cref="Next"/>
/// allocates nothing.
/// </summary>
/// <remarks>
/// When <c>Rows</c> is not a multiple of the batch size the last batch of each epoch is shorter
/// (Rows mod batchSize rows), unless <c>dropLast</c> is set, in which case those rows are skipped
/// for that epoch (a different few each epoch, since the order is reshuffled). The spans returned
/// stay valid until the next call to <see cref="Next"/>.
/// </remarks>
public sealed class BatchSampler
{
    private readonly Dataset _data;
    private readonly DataRandom _random;
    private readonly int[] _order;
    private readonly float[] _batch;
    private readonly int[] _labels;
    private readonly bool _shuffle;
    private readonly bool _dropLast;
    private float[] _oneHot = [];
    private int _oneHotClasses;
    private int _position;   // index into _order of the next batch's first row
    private int _start;      // index into _order of the current batch's first row
    private int _count;      // rows in the current batch (0 before the first call)
    private int _epoch;

    /// <summary>Creates a sampler over <paramref name="data"/>.</summary>
    /// <param name="data">The data set (at least one row).</param>
    /// <param name="batchSize">Rows per batch (≥ 1).</param>
    /// <param name="seed">Seed of the shuffles: same seed → same batches.</param>
    /// <param name="shuffle">False visits the rows in order 0, 1, 2, … every epoch.</param>
    /// <param name="dropLast">True skips the short batch at the end of an epoch so every batch has exactly <paramref name="batchSize"/> rows.</param>
    public BatchSampler(Dataset data, int batchSize, ulong seed, bool shuffle = true, bool dropLast = false)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Rows < 1)
            throw new ArgumentException($"The data set '{data.Name}' has no rows; a sampler needs at least one.", nameof(data));
        if (batchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be at least 1.");
        if (dropLast && batchSize > data.Rows)
            throw new ArgumentException(
                $"batchSize {batchSize} is larger than the {data.Rows} rows of '{data.Name}', so with dropLast every batch would be dropped; " +
                $"use a batch size of at most {data.Rows} or dropLast: false.", nameof(batchSize));

        _data = data;
        _shuffle = shuffle;
        _dropLast = dropLast;
        BatchSize = Math.Min(batchSize, data.Rows);
        _random = new DataRandom(seed);
        _order = new int[data.Rows];
        for (int i = 0; i < _order.Length; i++)
            _order[i] = i;
        if (shuffle)
            _random.Shuffle(_order);
        _batch = new float[BatchSize * data.Columns];
        _labels = new int[BatchSize];
        BatchesPerEpoch = dropLast ? data.Rows / BatchSize : (data.Rows + BatchSize - 1) / BatchSize;
    }

    /// <summary>The data set sampled.</summary>
    public Dataset Data => _data;

    /// <summary>The largest number of rows a batch holds (the requested size, capped at the data set's row count).</summary>
    public int BatchSize { get; }

    /// <summary>Batches per epoch (the last one may be short unless dropLast was set).</summary>
    public int BatchesPerEpoch { get; }

    /// <summary>The epoch (0-based) the current batch belongs to; 0 before the first call to <see cref="Next"/>.</summary>
    public int Epoch => _epoch;

    /// <summary>The next batch: up to <see cref="BatchSize"/> rows copied into the sampler's buffer. Allocates nothing.</summary>
    public ReadOnlySpan2D<float> Next()
    {
        int rows = _order.Length;
        int remaining = rows - _position;
        if (remaining == 0 || (_dropLast && remaining < BatchSize))
        {
            // Start a new epoch: a fresh permutation (the generator's stream continues, so every epoch differs).
            _epoch++;
            _position = 0;
            remaining = rows;
            if (_shuffle)
                _random.Shuffle(_order);
        }
        _start = _position;
        _count = Math.Min(BatchSize, remaining);
        _position += _count;

        ReadOnlySpan<int> indices = CurrentIndices;
        _data.CopyBatch(indices, new Span2D<float>(_batch, 0, _count, _data.Columns, 0));
        if (_data.HasLabels)
        {
            ReadOnlySpan<int> all = _data.Labels;
            for (int i = 0; i < indices.Length; i++)
                _labels[i] = all[indices[i]];
        }
        return Current;
    }

    /// <summary>The current batch again (the rows the last <see cref="Next"/> returned); empty before the first call.</summary>
    public ReadOnlySpan2D<float> Current =>
        _count == 0 ? ReadOnlySpan2D<float>.Empty : new ReadOnlySpan2D<float>(_batch, 0, _count, _data.Columns, 0);

    /// <summary>The data-set row indices of the current batch, in batch order.</summary>
    public ReadOnlySpan<int> CurrentIndices => new(_order, _start, _count);

    /// <summary>The labels of the current batch's rows.</summary>
    /// <exception cref="InvalidOperationException">The data set has no labels.</exception>
    public ReadOnlySpan<int> CurrentLabels
    {
        get
        {
            if (!_data.HasLabels)
                throw new InvalidOperationException($"The data set '{_data.Name}' has no labels.");
            return new ReadOnlySpan<int>(_labels, 0, _count);
        }
    }

    /// <summary>
    /// The current batch's labels one-hot encoded: a (batch rows) × <paramref name="classes"/> view
    /// with a 1 in column <c>label</c> of each row. The buffer is allocated on the first call (and
    /// again only if <paramref name="classes"/> changes), so steady-state calls allocate nothing.
    /// </summary>
    /// <exception cref="InvalidOperationException">The data set has no labels.</exception>
    /// <exception cref="ArgumentException"><paramref name="classes"/> is smaller than the data set's <see cref="Dataset.ClassCount"/>.</exception>
    public ReadOnlySpan2D<float> CurrentOneHot(int classes)
    {
        if (!_data.HasLabels)
            throw new InvalidOperationException($"The data set '{_data.Name}' has no labels to one-hot encode.");
        if (classes < _data.ClassCount)
            throw new ArgumentOutOfRangeException(nameof(classes), classes,
                $"The data set '{_data.Name}' has labels up to {_data.ClassCount - 1}, so one-hot vectors need at least {_data.ClassCount} classes.");
        if (classes != _oneHotClasses)
        {
            _oneHot = new float[BatchSize * classes];
            _oneHotClasses = classes;
        }
        Span<float> oneHot = _oneHot.AsSpan(0, _count * classes);
        oneHot.Clear();
        for (int i = 0; i < _count; i++)
            oneHot[i * classes + _labels[i]] = 1f;
        return _count == 0 ? ReadOnlySpan2D<float>.Empty : new ReadOnlySpan2D<float>(_oneHot, 0, _count, classes, 0);
    }
}
