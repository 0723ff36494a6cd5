using System.Diagnostics;
using System.Globalization;

namespace GenDsl.Benchmarks.Compare;

/// <summary>
/// How busy the machine is, from Linux's <c>/proc/stat</c>: used to warn when other processes share
/// the cores during a benchmark (the load average lags by a minute, so it is not used).
/// </summary>
internal readonly record struct CpuUsage(long BusyTicks, long TotalTicks, TimeSpan OwnCpu)
{
    /// <summary>/proc/stat counts in USER_HZ ticks, 100 per second on Linux.</summary>
    private const double TicksPerSecond = 100;

    /// <summary>Reads the counters now (null when /proc/stat is unavailable).</summary>
    public static CpuUsage? Sample()
    {
        try
        {
            // "cpu  user nice system idle iowait irq softirq steal ..." (aggregate over all CPUs)
            string line = File.ReadLines("/proc/stat").First();
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            long F(int i) => i < f.Length ? long.Parse(f[i], CultureInfo.InvariantCulture) : 0;
            long idle = F(4) + F(5);
            long busy = F(1) + F(2) + F(3) + F(6) + F(7) + F(8);
            using var self = Process.GetCurrentProcess();
            return new CpuUsage(busy, busy + idle, self.TotalProcessorTime);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>Percentage of the machine's CPU capacity that other processes used between two
    /// samples (everything busy minus this process's own CPU time).</summary>
    public static double OthersPercent(CpuUsage start, CpuUsage end)
    {
        double total = (end.TotalTicks - start.TotalTicks) / TicksPerSecond;
        double busy = (end.BusyTicks - start.BusyTicks) / TicksPerSecond;
        double own = (end.OwnCpu - start.OwnCpu).TotalSeconds;
        return total > 0 ? Math.Max(0, 100 * (busy - own) / total) : 0;
    }
}
