#pragma once
// A stream buffer over a string that cannot seek, as standard input from a pipe cannot: ingest
// then reads in one pass and keeps every customer's day list (no second pass over the log).

#include <ios>
#include <sstream>

namespace clvkit::test {

class PipeBuffer : public std::stringbuf {
 public:
  using std::stringbuf::stringbuf;

 protected:
  pos_type seekoff(off_type, std::ios_base::seekdir, std::ios_base::openmode) override {
    return pos_type(off_type(-1));
  }
  pos_type seekpos(pos_type, std::ios_base::openmode) override { return pos_type(off_type(-1)); }
};

}  // namespace clvkit::test
