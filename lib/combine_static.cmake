# combine_static.cmake - make libairlock.a: one relocatable object holding
# exactly the layer objects libairlock.so holds, with every symbol but the
# public airlock_* ones made local, so a program linking the archive
# statically cannot collide with Airlock's internal names (rd_u8, store_*,
# engine_*, ...) and cannot call them.
#
# cmake -DSHARED=libairlock.so -DOUT=libairlock.a -DWORK=dir
#       -DARCHIVES="a;b;c" -DLD=ld -DNM=nm -DOBJCOPY=objcopy -DAR=ar
#       -DRANLIB=ranlib -P combine_static.cmake
#
# 1. the roots: the airlock_* symbols libairlock.so exports (nm -D);
# 2. ld -r pulls from the layer archives only the members those roots need,
#    as the shared link does;
# 3. objcopy --localize-hidden turns every hidden (internal) symbol local;
# 4. the result must define no global symbol but airlock_*, and the same
#    set as the shared library.
foreach(v SHARED OUT WORK ARCHIVES LD NM OBJCOPY AR RANLIB)
  if(NOT DEFINED ${v} OR "${${v}}" STREQUAL "")
    message(FATAL_ERROR "combine_static: ${v} not set")
  endif()
endforeach()

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    list(JOIN ARGN " " cmd)
    message(FATAL_ERROR "combine_static: `${cmd}` failed (${rc}): ${err}")
  endif()
  set(run_out "${out}" PARENT_SCOPE)
endfunction()

# Global defined symbols from `nm` output lines "ADDR TYPE NAME".
function(defined_globals text outvar)
  string(REPLACE "\n" ";" lines "${text}")
  set(names "")
  foreach(l IN LISTS lines)
    if(l MATCHES "^[0-9a-fA-F]+ [A-TV-Z] ([^ ]+)$")
      set(n "${CMAKE_MATCH_1}")
      string(REGEX REPLACE "@.*" "" n "${n}")   # drop @AIRLOCK_0
      if(NOT n STREQUAL "AIRLOCK_0")
        list(APPEND names "${n}")
      endif()
    endif()
  endforeach()
  list(REMOVE_DUPLICATES names)
  list(SORT names)
  set(${outvar} "${names}" PARENT_SCOPE)
endfunction()

run(${NM} -D --defined-only ${SHARED})
defined_globals("${run_out}" exported)
if(NOT exported)
  message(FATAL_ERROR "combine_static: ${SHARED} exports nothing")
endif()
set(roots "")
foreach(s IN LISTS exported)
  list(APPEND roots -u ${s})
endforeach()

file(MAKE_DIRECTORY ${WORK})
set(obj ${WORK}/libairlock_combined.o)
file(REMOVE ${obj} ${OUT})
run(${LD} -r -o ${obj} ${roots} --start-group ${ARCHIVES} --end-group)
run(${OBJCOPY} --localize-hidden ${obj})
run(${AR} qc ${OUT} ${obj})
run(${RANLIB} ${OUT})

run(${NM} -g --defined-only ${OUT})
defined_globals("${run_out}" archived)
if(NOT archived STREQUAL exported)
  set(extra ${archived})
  list(REMOVE_ITEM extra ${exported})
  set(missing ${exported})
  list(REMOVE_ITEM missing ${archived})
  file(REMOVE ${OUT})
  message(FATAL_ERROR "combine_static: libairlock.a and libairlock.so "
          "differ: only in the archive: ${extra}; only in the shared "
          "library: ${missing}")
endif()
