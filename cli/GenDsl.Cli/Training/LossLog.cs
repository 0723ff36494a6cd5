using System.Globalization;
using System.Text;

namespace GenDsl.Cli.Training;

/// <summary>One row of <c>losses.csv</c>: the steps (<see cref="Step"/> − <see cref="Span"/>, <see cref="Step"/>] and the mean, min and max of each loss term over them.</summary>
internal sealed record LossRow(long Step, long Span, double[] Mean, double[] Min, double[] Max);

/// <summary>
/// The loss log of a training folder, <c>losses.csv</c>, kept bounded however long a run is.
/// </summary>
/// <remarks>
/// <para><b>Blocks.</b> Steps are grouped into blocks that are a fixed function of the step number:
/// level 0 is the first <see cref="RowsPerLevel"/> steps, one step per block; level 1 the next
/// <see cref="RowsPerLevel"/> blocks of 2 steps; level k the next <see cref="RowsPerLevel"/> blocks of
/// 2^k steps (it starts after step N·(2^k − 1), N = <see cref="RowsPerLevel"/>). A run of t steps
/// therefore has about N·log₂(t/N + 1) rows: 1,000 rows for 1,000 steps, 12,648 (0.51 MB) for the
/// 6.75 million steps of an hour of moons-flow, 17,235 (0.73 MB) for a day, ~26,000 for a year; and
/// no row covers more than ~0.2 % of the steps before it, so the curve keeps its
/// shape on a linear axis.</para>
/// <para><b>Rows.</b> The header is <c>step,&lt;terms&gt;,span,&lt;term&gt;_min,&lt;term&gt;_max,…</c>; a row
/// is the last step of its block, the mean of each term over the block (as a float), the number of steps
/// it covers, then each term's min and max. In level 0 (span 1) mean = min = max = the step's loss, as
/// the old one-row-per-step log had it.</para>
/// <para><b>Appending and checkpoints.</b> The file is only appended to while training (a row when a
/// block is complete), flushed before every checkpoint. The block in progress is kept in memory; its
/// exact sums, mins and maxes travel in the checkpoint (<see cref="PendingState"/>, stored in the
/// optimizer file), and when a run ends (done, Ctrl+C, NaN) it is written as a last, shorter row
/// (span &lt; the block's). On <c>--resume</c> from step S, <see cref="Open"/> keeps the rows up to S,
/// drops such a shorter row at S and continues its block from the checkpoint's state, so the resumed log
/// is byte for byte the log of an uninterrupted run. Without that state (an older checkpoint) the shorter
/// row stays and the next row starts after S: spans always say what a row covers. A log of the old
/// format (<c>step,&lt;terms&gt;</c>, a row per step) is folded into blocks the same way when resumed.</para>
/// </remarks>
internal sealed class LossLog : IDisposable
{
    /// <summary>Rows per level: the first this many steps get a row each, then blocks double every this many rows.</summary>
    public const int DefaultRowsPerLevel = 1000;

    private readonly string _path;
    private readonly string[] _names;
    private readonly List<LossRow> _rows = [];
    private StreamWriter? _writer;

    // The block in progress: steps (_step − _count, _step], ending at _blockEnd.
    private long _step, _blockEnd, _count;
    private readonly double[] _sum, _min, _max;

    private LossLog(string path, IReadOnlyList<string> names, int rowsPerLevel)
    {
        _path = path;
        _names = [.. names];
        RowsPerLevel = rowsPerLevel;
        _sum = new double[names.Count];
        _min = new double[names.Count];
        _max = new double[names.Count];
    }

    public int RowsPerLevel { get; }

    /// <summary>The rows of the whole log (earlier runs of the folder included), the shorter last row once closed.</summary>
    public IReadOnlyList<LossRow> Rows => _rows;

    /// <summary>The last step added (or the step the log was opened at).</summary>
    public long Step => _step;

    /// <summary>The header line for these loss terms.</summary>
    public static string Header(IReadOnlyList<string> names) =>
        "step," + string.Join(",", names) + ",span," + string.Join(",", names.Select(n => $"{n}_min,{n}_max"));

    /// <summary>The last step of the block that holds <paramref name="step"/> (≥ 1).</summary>
    public static long BlockEnd(long step, int rowsPerLevel = DefaultRowsPerLevel)
    {
        long i = step - 1, levelStart = 0; // 0-based; level k covers [N(2^k − 1), N(2^(k+1) − 1))
        int k = 0;
        while (i >= levelStart + ((long)rowsPerLevel << k)) { levelStart += (long)rowsPerLevel << k; k++; }
        return levelStart + (((i - levelStart) >> k) + 1 << k);
    }

    /// <summary>
    /// Opens <paramref name="path"/>: a new log (header only) unless <paramref name="resume"/>, else the rows up
    /// to <paramref name="startStep"/> of the existing one (new or old format), continued with
    /// <paramref name="pending"/> (a checkpoint's <see cref="PendingState"/>, or null). The kept rows are written
    /// back atomically (temporary file + rename), then the file is appended to.
    /// </summary>
    public static LossLog Open(string path, IReadOnlyList<string> names, bool resume, long startStep, string? pending,
        int rowsPerLevel = DefaultRowsPerLevel)
    {
        var log = new LossLog(path, names, rowsPerLevel);
        if (resume && File.Exists(path))
            log.Load(startStep, pending);
        log._step = startStep;
        log.Rewrite();
        return log;
    }

    /// <summary>Adds the losses of <paramref name="step"/> (after the previous one; a gap closes the block in progress).</summary>
    public void Add(long step, ReadOnlySpan<float> losses)
    {
        if (step <= _step)
            throw new ArgumentOutOfRangeException(nameof(step), $"step {step} is not after {_step}");
        if (_count > 0 && step != _step + 1)
            EmitPending();
        if (_count == 0)
        {
            _blockEnd = BlockEnd(step, RowsPerLevel);
            for (int i = 0; i < _sum.Length; i++) { _sum[i] = 0; _min[i] = double.PositiveInfinity; _max[i] = double.NegativeInfinity; }
        }
        for (int i = 0; i < _sum.Length; i++)
        {
            double v = losses[i];
            _sum[i] += v;
            if (!(v >= _min[i])) _min[i] = v; // NaN sticks
            if (!(v <= _max[i])) _max[i] = v;
        }
        _count++;
        _step = step;
        if (step == _blockEnd)
            EmitPending();
    }

    /// <summary>The block in progress, exactly ("count;sum,min,max;…", round-trip doubles), for the checkpoint; "0" when none.</summary>
    public string PendingState()
    {
        if (_count == 0) return "0";
        var text = new StringBuilder(_count.ToString(CultureInfo.InvariantCulture));
        for (int i = 0; i < _sum.Length; i++)
            text.Append(CultureInfo.InvariantCulture, $";{R(_sum[i])},{R(_min[i])},{R(_max[i])}");
        return text.ToString();
    }

    /// <summary>Pushes the rows written so far to the file (before a checkpoint).</summary>
    public void Flush() => _writer?.Flush();

    /// <summary>Ends the log: the block in progress is written as a shorter last row, and the file is closed.</summary>
    public void Close()
    {
        if (_writer is null) return;
        if (_count > 0)
        {
            // Written but kept pending: the checkpoint taken after this still holds the block's exact state.
            var row = PendingRow();
            _rows.Add(row);
            _writer.WriteLine(Format(row));
        }
        _writer.Dispose();
        _writer = null;
    }

    public void Dispose() => Close();

    /// <summary>For tests: stops as a killed process would, dropping whatever was not flushed.</summary>
    internal void Abandon()
    {
        _writer?.BaseStream.Dispose();
        _writer = null;
    }

    private LossRow PendingRow()
    {
        var mean = new double[_sum.Length];
        for (int i = 0; i < mean.Length; i++) mean[i] = (float)(_sum[i] / _count);
        return new LossRow(_step, _count, mean, (double[])_min.Clone(), (double[])_max.Clone());
    }

    private void EmitPending()
    {
        var row = PendingRow();
        _rows.Add(row);
        _writer?.WriteLine(Format(row));
        _count = 0;
    }

    private string Format(LossRow row)
    {
        var text = new StringBuilder(16 + 40 * _names.Length);
        text.Append(row.Step.ToString(CultureInfo.InvariantCulture));
        foreach (double m in row.Mean) text.Append(',').Append(F(m));
        text.Append(',').Append(row.Span.ToString(CultureInfo.InvariantCulture));
        for (int i = 0; i < row.Min.Length; i++) text.Append(',').Append(F(row.Min[i])).Append(',').Append(F(row.Max[i]));
        return text.ToString();
    }

    private void Rewrite()
    {
        string temporary = _path + ".tmp";
        using (var writer = new StreamWriter(temporary, append: false))
        {
            writer.WriteLine(Header(_names));
            foreach (var row in _rows) writer.WriteLine(Format(row));
        }
        File.Move(temporary, _path, overwrite: true);
        _writer = new StreamWriter(_path, append: true) { AutoFlush = false };
    }

    /// <summary>Reads the existing file: the rows up to <paramref name="startStep"/>, and the block in progress.</summary>
    private void Load(long startStep, string? pending)
    {
        int terms = _names.Length;
        bool legacy = false, first = true;
        var values = new float[terms];
        foreach (string line in CompleteLines(_path))
        {
            var parts = line.Split(',');
            if (first)
            {
                first = false;
                legacy = line == "step," + string.Join(",", _names); // the old format, a row per step
                if (!legacy && line != Header(_names)) return; // another model's log: start again
                continue;
            }
            if (parts.Length != (legacy ? terms + 1 : 2 + 3 * terms) || !TryLong(parts[0], out long step) || step <= _step || step > startStep)
                continue;
            if (legacy)
            {
                for (int i = 0; i < terms; i++) values[i] = (float)Number(parts[1 + i]);
                Add(step, values);
                continue;
            }
            if (!TryLong(parts[1 + terms], out long span) || span < 1 || span > step) continue;
            var mean = new double[terms];
            var min = new double[terms];
            var max = new double[terms];
            for (int i = 0; i < terms; i++)
            {
                mean[i] = Number(parts[1 + i]);
                min[i] = Number(parts[2 + terms + 2 * i]);
                max[i] = Number(parts[3 + terms + 2 * i]);
            }
            _rows.Add(new LossRow(step, span, mean, min, max));
            _step = step;
        }
        if (legacy)
        {
            // Old rows are single steps: folded into blocks above exactly as a run writes them now.
            if (_count > 0 && _step != startStep) EmitPending();
            return;
        }
        if (pending is null || !TryPending(pending, out long count))
            return;
        // Continue the checkpoint's block: drop the shorter row a finished run wrote for it, if it is there.
        if (count > 0 && _rows.Count > 0 && _rows[^1].Step == startStep && _rows[^1].Span == count && BlockEnd(startStep, RowsPerLevel) != startStep)
            _rows.RemoveAt(_rows.Count - 1);
        long previous = _rows.Count > 0 ? _rows[^1].Step : 0;
        if (count > 0 && previous == startStep - count)
        {
            TryPending(pending, out _, _sum, _min, _max);
            _count = count;
            _blockEnd = BlockEnd(startStep, RowsPerLevel);
        }
    }

    /// <summary>The lines of a file, without a last line that has no line break (cut off by a killed process).</summary>
    private static IEnumerable<string> CompleteLines(string path)
    {
        bool endsWithNewline;
        using (var stream = File.OpenRead(path))
        {
            if (stream.Length == 0) yield break;
            stream.Seek(-1, SeekOrigin.End);
            endsWithNewline = stream.ReadByte() == '\n';
        }
        string? held = null;
        foreach (string line in File.ReadLines(path))
        {
            if (held is not null) yield return held;
            held = line;
        }
        if (held is not null && endsWithNewline) yield return held;
    }

    private bool TryPending(string text, out long count, double[]? sum = null, double[]? min = null, double[]? max = null)
    {
        var parts = text.Split(';');
        if (!TryLong(parts[0], out count) || count < 0 || (count > 0 && parts.Length != 1 + _names.Length))
            return false;
        if (count == 0) return true;
        for (int i = 0; i < _names.Length; i++)
        {
            var values = parts[1 + i].Split(',');
            if (values.Length != 3) return false;
            if (sum is not null) { sum[i] = Number(values[0]); min![i] = Number(values[1]); max![i] = Number(values[2]); }
        }
        return true;
    }

    private static bool TryLong(string text, out long value) => long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out value);

    private static double Number(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : double.NaN;

    private static string F(double value) => ((float)value).ToString("R", CultureInfo.InvariantCulture);

    private static string R(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Reads a losses.csv back (either format): the loss names and its rows.</summary>
    public static (string[] Names, List<LossRow> Rows) Read(string path)
    {
        string[] header = File.ReadLines(path).FirstOrDefault()?.Split(',') ?? ["step"];
        int span = Array.IndexOf(header, "span");
        string[] names = span > 0 ? header[1..span] : header[1..];
        var log = new LossLog(path, names, DefaultRowsPerLevel);
        log.Load(long.MaxValue, null);
        if (log._count > 0) log.EmitPending();
        return (names, log._rows);
    }
}
