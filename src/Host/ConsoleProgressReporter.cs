using System.Diagnostics;

namespace MlNetStem.Host;

/// <summary>
/// Progress on stderr: a live line with rate and ETA on a terminal, a few plain lines
/// otherwise (CI logs), so long steps never look hung.
/// </summary>
public sealed class ConsoleProgressReporter : IProgressReporter
{
    private readonly TextWriter _out;
    private readonly bool _interactive;

    /// <summary>Creates a reporter writing to <paramref name="output"/> (stderr by default).</summary>
    public ConsoleProgressReporter(TextWriter? output = null)
    {
        _out = output ?? Console.Error;
        _interactive = output is null && !Console.IsErrorRedirected;
    }

    /// <inheritdoc />
    public IProgressScope Start(string stage, long? total) => new Scope(this, stage, total);

    private sealed class Scope(ConsoleProgressReporter owner, string stage, long? total) : IProgressScope
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private long _done;
        private string _status = "";
        private int _lastQuarter = -1;
        private long _lastDrawMs = -1000;

        public void Advance(long units = 1)
        {
            _done += units;
            Draw(final: false);
        }

        public void SetStatus(string status)
        {
            _status = status;
            Draw(final: false);
        }

        public void Dispose() => Draw(final: true);

        private void Draw(bool final)
        {
            double seconds = _clock.Elapsed.TotalSeconds;
            string rate = seconds > 0 && _done > 0 ? $", {_done / seconds:0.#}/s" : "";
            string amount = total is > 0 ? $"{_done}/{total} ({100.0 * _done / total.Value:0}%)" : $"{_done}";
            string eta = !final && total is > 0 && _done > 0 && _done < total
                ? $", ETA {TimeSpan.FromSeconds(seconds / _done * (total.Value - _done)):mm\\:ss}" : "";
            string status = _status.Length > 0 ? $" {_status}" : "";
            string line = $"{stage}: {amount}{rate}{eta}{status}{(final ? $", done in {seconds:0.0} s" : "")}";
            if (owner._interactive)
            {
                if (!final && _clock.ElapsedMilliseconds - _lastDrawMs < 100) return;
                _lastDrawMs = _clock.ElapsedMilliseconds;
                owner._out.Write("\r\u001b[K" + line + (final ? "\n" : ""));
                return;
            }
            int quarter = total is > 0 ? (int)(4 * _done / total.Value) : -1;
            if (final || (quarter != _lastQuarter && quarter is > 0 and < 4))
            {
                _lastQuarter = quarter;
                owner._out.WriteLine(line);
            }
        }
    }
}
